//! Messages between meetings: the inbox (every conversation, the most recent first, with its
//! unread count), one thread page by page with replies, reactions, delete-for-me and
//! delete-for-everyone, and the composer. Opening a thread marks it read.

use chrono::NaiveDateTime;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{
    ApiError, Conversation, ConversationKind, Message, MessageKind, MessageTarget, Reaction,
    SendMessage,
};

use crate::app::{Screen, Thread, use_ui};
use crate::components::{Confirm, FormError, FormErrors, LoadError, Loading};
use crate::i18n::{Key, Lang, date_short, fill, text};
use crate::ipc;

/// Messages a thread shows at first, and adds each time older ones are asked for.
const PAGE: u32 = 50;
/// Reactions offered under a message (the core accepts any other single emoji too).
pub const REACTIONS: [&str; 6] = ["❤️", "👍", "🙏", "🤗", "💪", "😢"];

#[component]
pub fn MessagesPage() -> impl IntoView {
    let ui = use_ui();
    let conversations = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        ipc::conversations()
    });
    let choosing = RwSignal::new(false);
    view! {
        <div class="page-head">
            <h1 tabindex="-1">{move || ui.t(Key::NavMessages)}</h1>
            <button
                type="button"
                class="primary"
                data-testid="messages-new"
                aria-expanded=move || if choosing.get() { "true" } else { "false" }
                aria-controls="peers"
                on:click=move |_| choosing.update(|open| *open = !*open)
            >
                {move || ui.t(Key::WriteToSomeone)}
            </button>
        </div>
        <Show when=move || choosing.get()>
            <PeerPicker />
        </Show>
        {move || match conversations.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! {
                    <p class="empty" data-testid="conversations-empty">
                        {move || ui.t(Key::NoConversations)}
                    </p>
                }
                    .into_any()
            }
            Some(Ok(list)) => {
                view! {
                    <ul class="conversations" data-testid="conversations">
                        {list
                            .into_iter()
                            .map(|conversation| view! { <ConversationItem conversation /> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }
        }}
    }
}

/// "Ana G.: See you Tuesday · 18:05", in the member's language.
fn preview_line(conversation: &Conversation, lang: Lang, today: chrono::NaiveDate) -> String {
    let Some(last) = &conversation.last else {
        return text(Key::NoMessagesYet, lang).to_owned();
    };
    let who = if last.mine {
        capitalised(text(Key::You, lang))
    } else {
        last.author_pseudonym.clone()
    };
    let what = if last.deleted {
        text(Key::DeletedByAuthor, lang).to_owned()
    } else if last.kind == MessageKind::CheckIn {
        format!("{}: {}", text(Key::CheckIn, lang), last.excerpt)
    } else {
        last.excerpt.clone()
    };
    format!("{who}: {what} · {}", when(last.sent_viewer, today, lang))
}

/// "18:05" today, "Tue 10 Feb 18:05" another day (on the viewer's clock).
pub fn when(at: NaiveDateTime, today: chrono::NaiveDate, lang: Lang) -> String {
    let time = at.format("%H:%M").to_string();
    if at.date() == today {
        time
    } else {
        format!("{} {time}", date_short(at.date(), lang))
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[component]
fn ConversationItem(conversation: Conversation) -> impl IntoView {
    let ui = use_ui();
    let screen = Screen::Thread(Thread::Conversation(conversation.id.clone()));
    let unread = conversation.unread;
    let has_unread = unread != 0;
    let kind = conversation.kind;
    let read_only = conversation.read_only;
    let title = conversation.title.clone();
    let preview = {
        let conversation = conversation.clone();
        move || preview_line(&conversation, ui.lang.get(), ui.today())
    };
    view! {
        <li
            class="card-item conversation"
            class:has-unread=has_unread
            data-testid="conversation-item"
            data-id=conversation.id.clone()
            data-title=title.clone()
            data-unread=unread.to_string()
        >
            <button
                type="button"
                class="card-button"
                data-testid="conversation-open"
                on:click=move |_| ui.go(screen.clone())
            >
                <span class="conversation-head">
                    <span class="card-title">{title.clone()}</span>
                    {has_unread
                        .then(|| {
                            view! {
                                <span class="unread-badge" data-testid="conversation-unread">
                                    {move || {
                                        fill(ui.t(Key::UnreadCount), &[&mutua_api::unread_label(unread)])
                                    }}
                                </span>
                            }
                        })}
                </span>
                <span class="muted">
                    {move || {
                        let kind = ui
                            .t(
                                match kind {
                                    ConversationKind::Group => Key::ConversationGroup,
                                    ConversationKind::Direct => Key::ConversationDirect,
                                },
                            );
                        if read_only { format!("{kind} · {}", ui.t(Key::Archived)) } else { kind.to_owned() }
                    }}
                </span>
                <span class="conversation-last" data-testid="conversation-last">
                    {preview}
                </span>
            </button>
        </li>
    }
}

/// The members the member can write to; choosing one opens their conversation.
#[component]
fn PeerPicker() -> impl IntoView {
    let ui = use_ui();
    let peers = LocalResource::new(ipc::peers);
    view! {
        <section class="panel" id="peers" aria-labelledby="peers-h" data-testid="peers">
            <h2 id="peers-h">{move || ui.t(Key::PeopleToWrite)}</h2>
            {move || match peers.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! {
                        <p class="empty" data-testid="peers-empty">
                            {move || ui.t(Key::NoPeers)}
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(list)) => {
                    view! {
                        <ul class="peer-list">
                            {list
                                .into_iter()
                                .map(|peer| {
                                    let thread = Thread::Direct {
                                        member_id: peer.member_id.clone(),
                                        pseudonym: peer.pseudonym.clone(),
                                    };
                                    view! {
                                        <li>
                                            <button
                                                type="button"
                                                class="secondary"
                                                data-testid="peer-item"
                                                data-name=peer.pseudonym.clone()
                                                on:click=move |_| ui.go(Screen::Thread(thread.clone()))
                                            >
                                                {peer.pseudonym.clone()}
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// What a thread page loaded: its inbox entry (once the conversation exists) and its messages,
/// oldest first.
#[derive(Debug, Clone)]
struct Loaded {
    summary: Option<Conversation>,
    messages: Vec<Message>,
    /// Whether there are messages older than those loaded.
    older: bool,
    read_by: Vec<String>,
}

impl Loaded {
    fn writable(&self) -> bool {
        !self.summary.as_ref().is_some_and(|s| s.read_only)
    }
}

/// The newest `pages` pages of a conversation, oldest message first. Every change reloads all of
/// them, so reactions and deletions show wherever the message is.
async fn load_pages(id: &str, pages: u32) -> Result<(Vec<Message>, bool, Vec<String>), ApiError> {
    let newest = ipc::messages(id, None, PAGE).await?;
    let read_by = newest.read_by.iter().map(|r| r.pseudonym.clone()).collect();
    let mut messages = newest.messages;
    let mut older = newest.older;
    for _ in 1..pages {
        let Some(before) = older.take() else {
            break;
        };
        let page = ipc::messages(id, Some(&before), PAGE).await?;
        let mut earlier = page.messages;
        earlier.append(&mut messages);
        messages = earlier;
        older = page.older;
    }
    Ok((messages, older.is_some(), read_by))
}

#[component]
pub fn ThreadPage(thread: Thread) -> impl IntoView {
    let ui = use_ui();
    // The conversation's id once known: a member not written to yet has none until the first
    // message creates it.
    let known = RwSignal::new(match &thread {
        Thread::Conversation(id) => Some(id.clone()),
        Thread::Direct { .. } => None,
    });
    let (peer_id, peer_name) = match &thread {
        Thread::Direct {
            member_id,
            pseudonym,
        } => (Some(member_id.clone()), Some(pseudonym.clone())),
        Thread::Conversation(_) => (None, None),
    };
    let direct = match &thread {
        Thread::Conversation(id) => id.starts_with("dm:"),
        Thread::Direct { .. } => true,
    };
    let pages = RwSignal::new(1u32);
    let reply_to = RwSignal::new(None::<Message>);
    let data = {
        let peer_id = peer_id.clone();
        LocalResource::new(move || {
            ui.version.track();
            ui.synced.track();
            let known = known.get();
            let pages = pages.get();
            let peer_id = peer_id.clone();
            async move {
                let conversations = ipc::conversations().await?;
                let id = known.or_else(|| {
                    conversations
                        .iter()
                        .find(|c| peer_id.is_some() && c.peer_id == peer_id)
                        .map(|c| c.id.clone())
                });
                let summary = id
                    .as_ref()
                    .and_then(|id| conversations.into_iter().find(|c| &c.id == id));
                let (messages, older, read_by) = match &id {
                    Some(id) => load_pages(id, pages).await?,
                    None => (Vec::new(), false, Vec::new()),
                };
                if let Some(summary) = &summary
                    && summary.unread > 0
                    && ipc::mark_read(&summary.id).await.is_ok()
                {
                    ui.reads.update(|n| *n = n.wrapping_add(1));
                }
                Ok::<_, ApiError>(Loaded {
                    summary,
                    messages,
                    older,
                    read_by,
                })
            }
        })
    };
    // On arrival, show the newest message (the heading keeps the focus).
    let scrolled = StoredValue::new(false);
    Effect::new(move || {
        if matches!(data.get(), Some(Ok(_))) && !scrolled.get_value() {
            scrolled.set_value(true);
            request_animation_frame(|| {
                if let Some(el) = document().get_element_by_id("composer") {
                    el.scroll_into_view_with_bool(false);
                }
            });
        }
    });
    let writable = move || matches!(data.get(), Some(Ok(loaded)) if loaded.writable());
    view! {
        {move || match data.get() {
            None => {
                view! {
                    <h1 tabindex="-1">{move || ui.t(Key::NavMessages)}</h1>
                    <Loading />
                }
                    .into_any()
            }
            Some(Err(error)) => {
                view! {
                    <h1 tabindex="-1">{move || ui.t(Key::NavMessages)}</h1>
                    <LoadError message=ui.explain(&error) />
                    <button type="button" class="secondary" on:click=move |_| ui.go(Screen::Messages)>
                        {move || ui.t(Key::BackToMessages)}
                    </button>
                }
                    .into_any()
            }
            Some(Ok(loaded)) => {
                let title = loaded
                    .summary
                    .as_ref()
                    .map(|s| s.title.clone())
                    .or_else(|| peer_name.clone())
                    .unwrap_or_default();
                view! { <ThreadView title direct loaded pages reply_to /> }.into_any()
            }
        }}
        <Show when=writable>
            <Composer known peer_id=peer_id.clone() reply_to direct />
        </Show>
    }
}

#[component]
fn ThreadView(
    title: String,
    direct: bool,
    loaded: Loaded,
    pages: RwSignal<u32>,
    reply_to: RwSignal<Option<Message>>,
) -> impl IntoView {
    let ui = use_ui();
    let writable = loaded.writable();
    let Loaded {
        messages,
        older,
        read_by,
        ..
    } = loaded;
    view! {
        <div class="page-head thread-head">
            <div>
                <button
                    type="button"
                    class="link-button back"
                    data-testid="thread-back"
                    on:click=move |_| ui.go(Screen::Messages)
                >
                    {move || ui.t(Key::BackToMessages)}
                </button>
                <h1 tabindex="-1" data-testid="thread-title">
                    {title}
                </h1>
                <p class="muted">
                    {move || {
                        ui.t(if direct { Key::ConversationDirect } else { Key::ConversationGroup })
                    }}
                </p>
            </div>
        </div>
        {older
            .then(|| {
                view! {
                    <button
                        type="button"
                        class="secondary older"
                        data-testid="thread-older"
                        on:click=move |_| pages.update(|n| *n += 1)
                    >
                        {move || ui.t(Key::LoadOlder)}
                    </button>
                }
            })}
        {if messages.is_empty() {
            view! {
                <p class="empty" data-testid="thread-empty">
                    {move || {
                        ui.t(if direct { Key::ThreadEmptyDirect } else { Key::ThreadEmptyGroup })
                    }}
                </p>
            }
                .into_any()
        } else {
            view! {
                <ol
                    class="messages"
                    data-testid="thread-messages"
                    aria-label=move || ui.t(Key::MessagesOf)
                >
                    {messages
                        .into_iter()
                        .map(|message| view! { <MessageItem message reply_to writable /> })
                        .collect_view()}
                </ol>
            }
                .into_any()
        }}
        {(!read_by.is_empty())
            .then(|| {
                let names = read_by.join(", ");
                view! {
                    <p class="muted read-by" data-testid="thread-read-by">
                        {move || fill(ui.t(Key::ReadBy), &[&names])}
                    </p>
                }
            })}
        {(!writable)
            .then(|| {
                view! {
                    <p class="note" data-testid="thread-read-only">
                        {move || ui.t(Key::ThreadReadOnly)}
                    </p>
                }
            })}
    }
}

#[component]
fn MessageItem(
    message: Message,
    reply_to: RwSignal<Option<Message>>,
    writable: bool,
) -> impl IntoView {
    let ui = use_ui();
    let mine = message.mine;
    let id = message.id.clone();
    let author = message.author_pseudonym.clone();
    let sent_viewer = message.sent_viewer;
    let who = {
        let author = author.clone();
        move || {
            if mine {
                capitalised(ui.t(Key::You))
            } else {
                author.clone()
            }
        }
    };
    let quote = message.reply_to.clone().map(|quote| {
        view! {
            <p class="message-quote" data-testid="message-quote">
                {move || match (&quote.author_pseudonym, &quote.excerpt) {
                    (Some(who), Some(excerpt)) => fill(ui.t(Key::QuoteOf), &[who, excerpt]),
                    _ => ui.t(Key::QuoteDeleted).to_owned(),
                }}
            </p>
        }
    });
    let body = if message.deleted {
        view! {
            <p class="message-text deleted" data-testid="message-text">
                {move || ui.t(Key::DeletedByAuthor)}
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="message-text prewrap" data-testid="message-text">
                {message.text.clone()}
            </p>
        }
        .into_any()
    };
    let reactions = (!message.reactions.is_empty()).then(|| {
        let list = message.reactions.clone();
        let id = id.clone();
        view! {
            <ul
                class="reactions"
                data-testid="message-reactions"
                aria-label=move || ui.t(Key::ReactionsFor)
            >
                {list
                    .into_iter()
                    .map(|reaction| view! { <ReactionButton message_id=id.clone() reaction writable /> })
                    .collect_view()}
            </ul>
        }
    });
    let picking = RwSignal::new(false);
    let picker_id = format!("react-{id}");
    let actions = (!message.deleted).then(|| {
        let reply_message = message.clone();
        let delete = {
            let id = id.clone();
            Callback::new(move |()| {
                let id = id.clone();
                spawn_local(async move {
                    match ipc::delete_message_for_me(&id).await {
                        Ok(()) => {
                            ui.say(ui.t(Key::DeletedForMe));
                            ui.changed();
                        }
                        Err(error) => ui.say(ui.explain(&error)),
                    }
                });
            })
        };
        let retract = {
            let id = id.clone();
            Callback::new(move |()| {
                let id = id.clone();
                spawn_local(async move {
                    match ipc::retract_message(&id).await {
                        Ok(_) => {
                            ui.say(ui.t(Key::Retracted));
                            ui.changed();
                        }
                        Err(error) => ui.say(ui.explain(&error)),
                    }
                });
            })
        };
        let reply_label = {
            let author = author.clone();
            move || fill(ui.t(Key::ReplyTo), &[&author])
        };
        let options = {
            let id = id.clone();
            REACTIONS
                .into_iter()
                .map(|emoji| {
                    let id = id.clone();
                    view! {
                        <button
                            type="button"
                            class="reaction-option"
                            data-testid="reaction-option"
                            data-emoji=emoji
                            aria-label=move || fill(ui.t(Key::ReactWith), &[emoji])
                            on:click=move |_| {
                                picking.set(false);
                                react(ui, id.clone(), emoji.to_owned(), false);
                            }
                        >
                            {emoji}
                        </button>
                    }
                })
                .collect_view()
        };
        view! {
            <div class="message-actions">
                {writable
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="link-button"
                                data-testid="message-reply"
                                aria-label=reply_label
                                on:click=move |_| {
                                    reply_to.set(Some(reply_message.clone()));
                                    focus_composer();
                                }
                            >
                                {move || ui.t(Key::Reply)}
                            </button>
                            <button
                                type="button"
                                class="link-button"
                                data-testid="message-react"
                                aria-expanded=move || if picking.get() { "true" } else { "false" }
                                aria-controls=picker_id.clone()
                                on:click=move |_| picking.update(|open| *open = !*open)
                            >
                                {move || ui.t(Key::React)}
                            </button>
                            <span
                                class="reaction-picker"
                                id=picker_id.clone()
                                role="group"
                                aria-label=move || ui.t(Key::React)
                                hidden=move || !picking.get()
                            >
                                {options}
                            </span>
                        }
                    })}
                <Confirm
                    label=Key::DeleteForMe
                    question=Key::DeleteForMeQuestion
                    yes=Key::YesDeleteForMe
                    testid="message-delete"
                    on_yes=delete
                />
                {(mine && writable)
                    .then(|| {
                        view! {
                            <Confirm
                                label=Key::Retract
                                question=Key::RetractQuestion
                                yes=Key::YesRetract
                                testid="message-retract"
                                on_yes=retract
                            />
                        }
                    })}
            </div>
        }
    });
    let check_in = message.kind == MessageKind::CheckIn;
    let edited = message.edited && !message.deleted;
    view! {
        <li
            class="message"
            class:mine=mine
            class:check-in=check_in
            data-testid="message-item"
            data-id=id.clone()
            data-author=author.clone()
            data-mine=mine.to_string()
        >
            <div class="bubble">
                <p class="message-meta">
                    <span class="message-author">{who}</span>
                    " "
                    <time datetime=message.sent_at.to_rfc3339()>
                        {move || when(sent_viewer, ui.today(), ui.lang.get())}
                    </time>
                    {check_in
                        .then(|| {
                            view! {
                                " "
                                <span class="badge" data-testid="message-check-in">
                                    {move || ui.t(Key::CheckIn)}
                                </span>
                            }
                        })}
                    {edited
                        .then(|| view! { <span class="muted">" · " {move || ui.t(Key::Edited)}</span> })}
                </p>
                {quote}
                {body}
                {reactions}
            </div>
            {actions}
        </li>
    }
}

/// One emoji under a message with its count; pressing it adds or takes back the member's own.
#[component]
fn ReactionButton(message_id: String, reaction: Reaction, writable: bool) -> impl IntoView {
    let ui = use_ui();
    let Reaction {
        emoji,
        count,
        mine,
        by,
    } = reaction;
    let label = {
        let (emoji, by) = (emoji.clone(), by.join(", "));
        move || fill(ui.t(Key::ReactionBy), &[&emoji, &by])
    };
    let pressed = emoji.clone();
    view! {
        <li>
            <button
                type="button"
                class="reaction"
                data-testid="message-reaction"
                data-emoji=emoji.clone()
                data-count=count.to_string()
                aria-pressed=if mine { "true" } else { "false" }
                aria-label=label
                disabled=!writable
                on:click=move |_| react(ui, message_id.clone(), pressed.clone(), mine)
            >
                <span aria-hidden="true">{emoji.clone()}</span>
                " "
                <span aria-hidden="true">{count}</span>
            </button>
        </li>
    }
}

/// Adds `emoji` to a message, or takes back the member's reaction (`mine`).
fn react(ui: crate::app::Ui, message_id: String, emoji: String, mine: bool) {
    spawn_local(async move {
        let done = if mine {
            ipc::unreact(&message_id).await
        } else {
            ipc::react(&message_id, &emoji).await
        };
        match done {
            Ok(_) => ui.changed(),
            Err(error) => ui.say(ui.explain(&error)),
        }
    });
}

fn focus_composer() {
    request_animation_frame(|| {
        if let Some(el) = document().get_element_by_id("composer-text")
            && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el)
        {
            let _ = el.focus();
        }
    });
}

#[component]
fn Composer(
    known: RwSignal<Option<String>>,
    /// The member written to, while their conversation does not exist yet.
    peer_id: Option<String>,
    reply_to: RwSignal<Option<Message>>,
    direct: bool,
) -> impl IntoView {
    let ui = use_ui();
    let draft = RwSignal::new(String::new());
    let check_in = RwSignal::new(false);
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let mut text = draft.get_untracked().trim().to_owned();
        if text.is_empty() && check_in.get_untracked() {
            text = ui.t(Key::CheckInPrompt).to_owned();
        }
        if text.is_empty() {
            let mut found = FormErrors::default();
            found.field("text", Key::ErrMessageEmpty);
            errors.set(found);
            focus_composer();
            return;
        }
        errors.set(FormErrors::default());
        let target = match (known.get_untracked(), &peer_id) {
            (Some(id), _) => MessageTarget::Conversation(id),
            (None, Some(member)) => MessageTarget::Member(member.clone()),
            (None, None) => return,
        };
        let request = SendMessage {
            target,
            text,
            reply_to: reply_to.get_untracked().map(|m| m.id),
            kind: if check_in.get_untracked() {
                MessageKind::CheckIn
            } else {
                MessageKind::Text
            },
        };
        pending.set(true);
        spawn_local(async move {
            match ipc::send_message(&request).await {
                Ok(sent) => {
                    draft.set(String::new());
                    check_in.set(false);
                    reply_to.set(None);
                    if known.get_untracked().is_none() {
                        known.set(Some(sent.conversation));
                    }
                    ui.say(ui.t(Key::MessageSent));
                    ui.changed();
                    focus_composer();
                }
                Err(error) => {
                    let mut found = FormErrors::default();
                    found.place(ui.explain(&error), &[("text", &["message", "text"])]);
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    view! {
        <form class="composer" id="composer" novalidate on:submit=submit data-testid="composer">
            {move || {
                reply_to
                    .get()
                    .map(|message| {
                        let excerpt: String = if message.deleted {
                            String::new()
                        } else {
                            message.text.chars().take(80).collect()
                        };
                        let author = message.author_pseudonym.clone();
                        view! {
                            <p class="replying" data-testid="composer-replying">
                                <span>{move || fill(ui.t(Key::ReplyingTo), &[&author, &excerpt])}</span>
                                <button
                                    type="button"
                                    class="link-button"
                                    data-testid="composer-cancel-reply"
                                    on:click=move |_| reply_to.set(None)
                                >
                                    {move || ui.t(Key::CancelReply)}
                                </button>
                            </p>
                        }
                    })
            }}
            <div class="field">
                <label for="composer-text">{move || ui.t(Key::MessageLabel)}</label>
                <textarea
                    id="composer-text"
                    data-testid="composer-text"
                    rows="3"
                    maxlength="4000"
                    placeholder=move || {
                        if check_in.get() { ui.t(Key::CheckInPrompt) } else { ui.t(Key::MessagePlaceholder) }
                    }
                    aria-invalid=move || errors.with(|e| e.has("text")).then_some("true")
                    aria-describedby=move || {
                        errors.with(|e| e.has("text")).then_some("composer-text-error")
                    }
                    bind:value=draft
                ></textarea>
                {move || {
                    errors
                        .with(|e| e.get("text"))
                        .map(|message| {
                            view! {
                                <p
                                    class="field-error"
                                    id="composer-text-error"
                                    data-testid="composer-text-error"
                                >
                                    {message.show(ui.lang.get())}
                                </p>
                            }
                        })
                }}
            </div>
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="composer-send"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { ui.t(Key::Sending) } else { ui.t(Key::Send) }}
                </button>
                {(!direct)
                    .then(|| {
                        view! {
                            <label class="choice">
                                <input
                                    type="checkbox"
                                    data-testid="composer-check-in"
                                    prop:checked=move || check_in.get()
                                    on:change=move |ev| check_in.set(event_target_checked(&ev))
                                />
                                <span>{move || ui.t(Key::SendAsCheckIn)}</span>
                            </label>
                        }
                    })}
                <FormError errors testid="composer-error" />
            </div>
        </form>
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn times_show_the_day_only_when_it_is_not_today() {
        let today = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap();
        let at = |d: u32| today.with_day(d).unwrap().and_hms_opt(18, 5, 0).unwrap();
        use chrono::Datelike;
        assert_eq!(when(at(10), today, Lang::En), "18:05");
        assert_eq!(when(at(9), today, Lang::En), "Mon 9 Feb 18:05");
        assert_eq!(when(at(9), today, Lang::Es), "lun 9 feb 18:05");
    }

    #[test]
    fn previews_say_who_and_what() {
        let conversation = |mine: bool, deleted: bool, kind: MessageKind| Conversation {
            id: "group:ab".into(),
            kind: ConversationKind::Group,
            title: "Tuesday circle".into(),
            group_id: Some("ab".into()),
            peer_id: None,
            last: Some(mutua_api::MessagePreview {
                author_pseudonym: "Bea L.".into(),
                mine,
                excerpt: "See you Tuesday".into(),
                kind,
                sent_at: chrono::Utc::now(),
                sent_viewer: NaiveDate::from_ymd_opt(2026, 2, 10)
                    .unwrap()
                    .and_hms_opt(18, 5, 0)
                    .unwrap(),
                deleted,
            }),
            unread: 0,
            read_only: false,
        };
        let today = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap();
        assert_eq!(
            preview_line(
                &conversation(false, false, MessageKind::Text),
                Lang::En,
                today
            ),
            "Bea L.: See you Tuesday · 18:05"
        );
        assert_eq!(
            preview_line(
                &conversation(true, false, MessageKind::CheckIn),
                Lang::Es,
                today
            ),
            "Tú: Ronda: See you Tuesday · 18:05"
        );
        assert_eq!(
            preview_line(
                &conversation(false, true, MessageKind::Text),
                Lang::En,
                today
            ),
            "Bea L.: This message was deleted. · 18:05"
        );
    }
}

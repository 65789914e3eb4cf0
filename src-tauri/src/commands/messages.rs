//! Messages between meetings: the inbox, a conversation page by page, sending and replying,
//! reactions, delete-for-me, and the read-receipt setting.

use mutua_api::{
    ApiError, Conversation, ConversationRequest, EditMessage, IdRequest, Message, MessagePage,
    MessageTarget, MessagesRequest, Peer, React, ReadReceipts, SendMessage,
};
use mutua_core::messages::{self, NewMessage};
use tauri::{AppHandle, Runtime};

use crate::convert;
use crate::state::{with_store, with_store_shared};

/// Every conversation, the most recent first, with its unread count.
#[tauri::command]
pub async fn conversations<R: Runtime>(app: AppHandle<R>) -> Result<Vec<Conversation>, ApiError> {
    with_store(app, |m| {
        let viewer = convert::viewer_zone(m)?;
        Ok(m.conversations()?
            .into_iter()
            .map(|c| convert::conversation(c, viewer))
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn messages<R: Runtime>(
    app: AppHandle<R>,
    request: MessagesRequest,
) -> Result<MessagePage, ApiError> {
    with_store(app, move |m| {
        let viewer = convert::viewer_zone(m)?;
        let conversation: messages::Conversation = request.conversation.parse()?;
        let page = m.messages(&conversation, request.before.as_deref(), request.limit)?;
        Ok(convert::message_page(page, viewer))
    })
    .await
}

#[tauri::command]
pub async fn send_message<R: Runtime>(
    app: AppHandle<R>,
    request: SendMessage,
) -> Result<Message, ApiError> {
    with_store_shared(app, move |m| {
        let viewer = convert::viewer_zone(m)?;
        let new = NewMessage {
            text: request.text,
            reply_to: request.reply_to,
            kind: convert::message_kind_to_core(request.kind),
        };
        let sent = match request.target {
            MessageTarget::Conversation(id) => m.send_message(&id.parse()?, new)?,
            MessageTarget::Group(group) => m.send_to_group(&group, new)?,
            MessageTarget::Member(member) => m.send_direct(&member, new)?,
        };
        Ok(convert::message(sent, viewer))
    })
    .await
}

#[tauri::command]
pub async fn mark_read<R: Runtime>(
    app: AppHandle<R>,
    request: ConversationRequest,
) -> Result<(), ApiError> {
    with_store_shared(app, move |m| {
        Ok(m.mark_read(&request.conversation.parse()?)?)
    })
    .await
}

#[tauri::command]
pub async fn react<R: Runtime>(app: AppHandle<R>, request: React) -> Result<Message, ApiError> {
    with_store_shared(app, move |m| {
        let viewer = convert::viewer_zone(m)?;
        Ok(convert::message(
            m.react(&request.message_id, &request.emoji)?,
            viewer,
        ))
    })
    .await
}

#[tauri::command]
pub async fn unreact<R: Runtime>(
    app: AppHandle<R>,
    request: IdRequest,
) -> Result<Message, ApiError> {
    with_store_shared(app, move |m| {
        let viewer = convert::viewer_zone(m)?;
        Ok(convert::message(m.unreact(&request.id)?, viewer))
    })
    .await
}

/// Hides a message on this device only; everyone else keeps it.
#[tauri::command]
pub async fn delete_message_for_me<R: Runtime>(
    app: AppHandle<R>,
    request: IdRequest,
) -> Result<(), ApiError> {
    with_store(app, move |m| {
        m.delete_for_me(&request.id)?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn edit_message<R: Runtime>(
    app: AppHandle<R>,
    request: EditMessage,
) -> Result<Message, ApiError> {
    with_store_shared(app, move |m| {
        let viewer = convert::viewer_zone(m)?;
        Ok(convert::message(
            m.edit_message(&request.id, &request.text)?,
            viewer,
        ))
    })
    .await
}

/// Takes back one of the member's own messages, for everyone.
#[tauri::command]
pub async fn retract_message<R: Runtime>(
    app: AppHandle<R>,
    request: IdRequest,
) -> Result<Message, ApiError> {
    with_store_shared(app, move |m| {
        let viewer = convert::viewer_zone(m)?;
        Ok(convert::message(m.retract_message(&request.id)?, viewer))
    })
    .await
}

/// Who the member can start a one-to-one conversation with.
#[tauri::command]
pub async fn peers<R: Runtime>(app: AppHandle<R>) -> Result<Vec<Peer>, ApiError> {
    with_store(app, |m| {
        Ok(m.peers()?.into_iter().map(convert::peer).collect())
    })
    .await
}

#[tauri::command]
pub async fn read_receipts<R: Runtime>(app: AppHandle<R>) -> Result<bool, ApiError> {
    with_store(app, |m| Ok(m.read_receipts()?)).await
}

#[tauri::command]
pub async fn set_read_receipts<R: Runtime>(
    app: AppHandle<R>,
    request: ReadReceipts,
) -> Result<bool, ApiError> {
    with_store_shared(app, move |m| {
        m.set_read_receipts(request.enabled)?;
        Ok(m.read_receipts()?)
    })
    .await
}

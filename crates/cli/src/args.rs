//! The command line, as clap sees it. Every command that prints data honours `--json`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "mutua",
    version,
    about = "Mutua: your support groups, meetings, peers and journal — private, offline-first."
)]
pub struct Cli {
    /// Where the data lives (default: the platform's data directory).
    #[arg(long, global = true, env = "MUTUA_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up Mutua on this device with your pseudonym.
    Init(InitArgs),
    /// What is stored here, and where.
    Status,
    /// Your pseudonym, language and time zone.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Groups you belong to.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Meeting series of your groups.
    #[command(subcommand)]
    Meeting(MeetingCommand),
    /// Upcoming meetings across your groups, or export a group's calendar.
    Calendar(CalendarArgs),
    /// Peer contacts and when they are glad to be reached.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Your groups' threads: send, read, react.
    #[command(subcommand)]
    Message(MessageCommand),
    /// One-to-one messages with a member of a group you share.
    #[command(subcommand)]
    Dm(DmCommand),
    /// Your conversations, the most recent first, with unread counts.
    Inbox,
    /// Your private journal.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Export everything you hold.
    Export(ExportArgs),
    /// Exchange changes with another copy of your data (the building block of sync).
    #[command(subcommand)]
    Changes(ChangesCommand),
    /// Check or rebuild the search and list tables from the documents.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// A guided tour in a throw-away data directory.
    Demo(DemoArgs),
    /// Sync your groups through a relay (end-to-end encrypted; the relay sees only ciphertext).
    Sync(SyncArgs),
    /// Invite someone to a group, or accept an invitation.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Manage a group's members (facilitators and co-hosts).
    #[command(subcommand)]
    Member(MemberCommand),
    /// Your devices: pair another one with a code (or QR code), or list them.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Sync with no internet: save your groups' updates to a file (USB stick, SD card, any
    /// messenger) and open files others made.
    #[command(subcommand)]
    Bundle(BundleCommand),
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Save a sync file: end-to-end encrypted, safe to hand over on a stick or in a chat.
    Export {
        /// Where to write it (`.mutua-sync` is added when missing).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Only this group (name or id).
        #[arg(long, conflicts_with = "for_member")]
        group: Option<String>,
        /// Only what this member (pseudonym or id) is not known to have yet.
        #[arg(long = "for", value_name = "MEMBER")]
        for_member: Option<String>,
    },
    /// Open a sync file someone gave you. Safe to repeat; a damaged file changes nothing.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Show a one-time code (and QR code) that lets another device of yours in.
    Pair {
        /// Do not draw the QR code.
        #[arg(long)]
        no_qr: bool,
    },
    /// Set up this (fresh) install as another device of yours, with the code your other device shows.
    Join {
        code: String,
        /// Keep the database key in the OS keychain instead of asking for a passphrase.
        #[arg(long)]
        keychain: bool,
    },
    /// Your devices.
    List,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The relay to use from now on (remembered), e.g. https://relay.example.org.
    #[arg(long, value_name = "URL")]
    pub relay: Option<String>,
    /// Keep syncing: wait for changes on the relay and push new local ones, until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Make an invitation code (and show it as a QR code).
    Create {
        #[arg(long)]
        group: String,
        /// For someone who is not in the room: they send a request a facilitator approves.
        #[arg(long)]
        remote: bool,
        /// Do not draw the QR code.
        #[arg(long)]
        no_qr: bool,
    },
    /// Join a group with a code someone showed or sent you.
    Accept { code: String },
    /// Requests to join that wait for you.
    Requests,
    /// Let someone in who asked to join.
    Approve {
        /// The member's pseudonym or id (as `invite requests` shows).
        #[arg(long)]
        member: String,
        /// The invitation id (needed only when the member asked through several).
        #[arg(long, default_value = "")]
        invite: String,
    },
    /// Turn down a request to join.
    Decline {
        #[arg(long)]
        member: String,
        #[arg(long, default_value = "")]
        invite: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Remove a member; the group's key changes so they can read nothing sent afterwards.
    Remove {
        #[arg(long)]
        group: String,
        #[arg(long)]
        member: String,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Your pseudonym: a first name and an initial, such as "Sam R.".
    #[arg(long)]
    pub name: String,
    /// Keep the database key in the OS keychain instead of asking for a passphrase.
    #[arg(long)]
    pub keychain: bool,
    /// Your IANA time zone (default: this computer's).
    #[arg(long)]
    pub tz: Option<String>,
    /// Language for the app: en or es.
    #[arg(long)]
    pub language: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    Show,
    Set {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        language: Option<String>,
        #[arg(long)]
        tz: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    MutualAid,
    Facilitated,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AdmissionArg {
    Open,
    Closed,
}

#[derive(Debug, Args, Default)]
pub struct GroupFieldArgs {
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub purpose: Option<String>,
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Facilitated groups: how many sessions are planned.
    #[arg(long)]
    pub sessions: Option<u32>,
    #[arg(long, value_enum)]
    pub admission: Option<AdmissionArg>,
    #[arg(long)]
    pub language: Option<String>,
    #[arg(long)]
    pub place: Option<String>,
    #[arg(long)]
    pub online_url: Option<String>,
    /// The group's guidelines, as text.
    #[arg(long, conflicts_with = "guidelines_file")]
    pub guidelines: Option<String>,
    /// The group's guidelines, read from a file.
    #[arg(long)]
    pub guidelines_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    Create(GroupFieldArgs),
    List {
        /// Include archived groups.
        #[arg(long)]
        all: bool,
    },
    Show {
        group: String,
    },
    Edit {
        group: String,
        #[command(flatten)]
        fields: GroupFieldArgs,
    },
    Archive {
        group: String,
        /// Bring an archived group back.
        #[arg(long)]
        undo: bool,
    },
    Leave {
        group: String,
    },
    Members {
        group: String,
    },
    /// Set a member's roles: member, facilitator, co-host, service:NAME.
    Role {
        #[arg(long)]
        group: String,
        #[arg(long)]
        member: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    InPerson,
    Online,
    Hybrid,
    Phone,
}

#[derive(Debug, Args, Default)]
pub struct SeriesFieldArgs {
    #[arg(long)]
    pub title: Option<String>,
    /// First meeting, local wall-clock time: 2026-01-06T19:00.
    #[arg(long)]
    pub start: Option<String>,
    /// IANA time zone of the meeting, e.g. Europe/Madrid.
    #[arg(long)]
    pub tz: Option<String>,
    /// 90m, 1h30m, 2h.
    #[arg(long)]
    pub duration: Option<String>,
    /// RFC 5545 rule: FREQ=WEEKLY;BYDAY=MO,TH or FREQ=MONTHLY;BYDAY=2TU;UNTIL=20270101T000000
    #[arg(long)]
    pub rrule: Option<String>,
    /// No recurrence: a one-off meeting.
    #[arg(long, conflicts_with = "rrule")]
    pub once: bool,
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    #[arg(long)]
    pub place: Option<String>,
    #[arg(long)]
    pub online_url: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub agenda: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MeetingCommand {
    Add {
        #[arg(long)]
        group: String,
        #[command(flatten)]
        fields: SeriesFieldArgs,
    },
    List {
        #[arg(long)]
        group: Option<String>,
    },
    Show {
        series: String,
    },
    Edit {
        series: String,
        #[command(flatten)]
        fields: SeriesFieldArgs,
    },
    Delete {
        series: String,
    },
    /// Cancel one meeting of a series.
    Cancel {
        #[arg(long)]
        series: String,
        /// The meeting's date (or date and time) in the meeting's zone.
        #[arg(long)]
        on: String,
    },
    /// Undo a cancellation.
    Restore {
        #[arg(long)]
        series: String,
        #[arg(long)]
        on: String,
    },
    /// Move one meeting of a series to another time.
    Move {
        #[arg(long)]
        series: String,
        /// Which meeting: its usual date and time, e.g. 2026-02-10T19:00 (or just the date).
        #[arg(long)]
        occurrence: String,
        /// Its new local date and time.
        #[arg(long)]
        to: String,
        #[arg(long)]
        duration: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct CalendarArgs {
    #[command(subcommand)]
    pub export: Option<CalendarCommand>,
    /// First day to show (default: today).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day to show (default: 30 days after --from).
    #[arg(long)]
    pub to: Option<String>,
    /// Show times in this zone (default: yours).
    #[arg(long)]
    pub tz: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Write a group's calendar as an iCalendar (.ics) file.
    Export {
        #[arg(long)]
        group: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Args, Default)]
pub struct ContactFieldArgs {
    #[arg(long)]
    pub name: Option<String>,
    /// The contact's IANA time zone.
    #[arg(long)]
    pub tz: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub link: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    /// The group you know them from.
    #[arg(long)]
    pub group: Option<String>,
    /// A window in their time: "mon 19:00-22:00", "mon-fri 09:00-17:00" (repeatable).
    #[arg(long = "available")]
    pub available: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    Add(ContactFieldArgs),
    List,
    Show {
        contact: String,
    },
    Edit {
        contact: String,
        #[command(flatten)]
        fields: ContactFieldArgs,
    },
    Remove {
        contact: String,
    },
    /// Show or replace a contact's weekly availability.
    Availability {
        contact: String,
        /// Replace with these windows (repeatable): "mon 19:00-22:00".
        #[arg(long = "set")]
        set: Vec<String>,
        /// Remove every window.
        #[arg(long, conflicts_with = "set")]
        clear: bool,
    },
    /// Who is glad to be reached now (or at --at).
    Reachable {
        /// A moment: 2026-11-25T20:00 (your time) or RFC 3339 with offset.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PeriodArg {
    Day,
    Week,
    Month,
}

#[derive(Debug, Args, Default)]
pub struct EntryFieldArgs {
    /// The entry's text; "-" reads it from standard input.
    pub text: Option<String>,
    /// 1 (very low) to 5 (very good).
    #[arg(long)]
    pub mood: Option<u8>,
    /// A named emotion (repeatable): anxious, hopeful, …
    #[arg(long = "emotion")]
    pub emotions: Vec<String>,
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// When it is about (default: now): 2026-11-25T21:00 in your time.
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    Add(EntryFieldArgs),
    List {
        #[arg(long, value_enum, default_value = "day")]
        by: PeriodArg,
        /// A day inside the period to show (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    Show {
        entry: String,
    },
    Edit {
        entry: String,
        #[command(flatten)]
        fields: EntryFieldArgs,
        /// Remove the mood.
        #[arg(long, conflicts_with = "mood")]
        no_mood: bool,
    },
    Delete {
        entry: String,
    },
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Average mood per day.
    Mood {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct MessageTextArgs {
    /// The message (1 to 4,000 characters); "-" reads it from standard input.
    pub text: String,
    /// Answer this message (its id, or the start of it).
    #[arg(long, value_name = "ID")]
    pub reply_to: Option<String>,
    /// Send it as a check-in: "how is everyone doing this week?".
    #[arg(long)]
    pub check_in: bool,
}

#[derive(Debug, Args)]
pub struct PageArgs {
    /// How many messages to show, newest last (1 to 200).
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Show the messages sent before this one (the id a previous page printed).
    #[arg(long, value_name = "ID")]
    pub before: Option<String>,
    /// Leave the conversation unread (listing the newest page marks it read).
    #[arg(long)]
    pub keep_unread: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Send a message to a group's thread.
    Send {
        #[arg(long)]
        group: String,
        #[command(flatten)]
        message: MessageTextArgs,
    },
    /// A group's thread, newest page (and mark it read).
    List {
        #[arg(long)]
        group: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// React to a message with one emoji: ❤️ 👍 🙏 🤗 💪 😢 or any other.
    React { message: String, emoji: String },
    /// Take back your reaction to a message.
    Unreact { message: String },
    /// Delete a message for yourself, on this device; others keep it.
    Delete { message: String },
    /// Replace the text of one of your messages.
    Edit { message: String, text: String },
    /// Take back one of your messages for everyone (a "deleted" mark stays).
    Retract { message: String },
    /// Show or set whether others see how far you have read (off unless you turn it on).
    Receipts {
        #[arg(value_enum)]
        set: Option<Switch>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DmCommand {
    /// Send a one-to-one message to a member (id, start of it, or pseudonym).
    Send {
        #[arg(long)]
        to: String,
        #[command(flatten)]
        message: MessageTextArgs,
    },
    /// Your conversation with a member, newest page (and mark it read).
    List {
        #[arg(long)]
        to: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Members you can write to.
    Peers,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ChangesCommand {
    /// Print what this copy holds (give it to the other copy's `changes export --since`).
    Vector {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write the changes another copy lacks (all of them without --since).
    Export {
        #[arg(long)]
        out: PathBuf,
        /// The other copy's vector file.
        #[arg(long)]
        since: Option<PathBuf>,
        /// Include the private journal (only for your own devices).
        #[arg(long)]
        include_journal: bool,
    },
    /// Apply a change file. Safe to repeat; a damaged file changes nothing.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Rebuild the tables and confirm they equal the incrementally kept ones.
    Verify,
    /// Rebuild the tables from the documents.
    Rebuild,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo data here instead of a temporary directory.
    #[arg(long)]
    pub keep: Option<PathBuf>,
}

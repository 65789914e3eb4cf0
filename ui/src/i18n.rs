//! Every word the UI shows, in English and Spanish, switchable at runtime.
//!
//! Each [`Key`] is declared with both its texts in one `keys!` line, so a key without a
//! translation does not compile, and `text` is an exhaustive match. Texts with values use
//! numbered holes (`{0}`, `{1}`) filled by [`fill`], because word order differs between the
//! languages. Dates, weekdays, moods, emotions and rules are formatted here too.
//!
//! Emotions are stored in English (so entries read the same after switching language) and
//! only their labels are translated. Messages written by the core arrive in English; they are
//! shown after a translated description of the kind of error.

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use mutua_api::{ApiError, ErrorKind, MeetingFormat};

use crate::recurrence::{Ends, Nth, Repeat, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// A language tag (`es`, `es-CO`, `en-GB`) to the nearest language Mutua speaks.
    pub fn from_code(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("es") {
            Lang::Es
        } else {
            Lang::En
        }
    }

    /// The language's name in itself, as language menus show it.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
        }
    }
}

macro_rules! keys {
    ($($key:ident => $en:literal, $es:literal;)*) => {
        /// One text of the UI.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key { $($key,)* }

        /// Every key, for the tests that check the two languages agree.
        #[cfg(test)]
        const ALL_KEYS: &[Key] = &[$(Key::$key,)*];

        /// The text of `key` in `lang`.
        pub fn text(key: Key, lang: Lang) -> &'static str {
            let (en, es) = match key { $(Key::$key => ($en, $es),)* };
            match lang {
                Lang::En => en,
                Lang::Es => es,
            }
        }
    };
}

keys! {
    // Frame and navigation
    NavToday => "Today", "Hoy";
    NavGroups => "Groups", "Grupos";
    NavMessages => "Messages", "Mensajes";
    NavCalendar => "Calendar", "Calendario";
    NavContacts => "Contacts", "Contactos";
    NavJournal => "Journal", "Diario";
    NavSettings => "Settings", "Ajustes";
    NavLabel => "Main", "Principal";
    SkipToContent => "Skip to content", "Saltar al contenido";
    Opening => "Opening…", "Abriendo…";
    Loading => "Loading…", "Cargando…";
    ShellUnavailable => "Mutua could not reach its data on this device.", "Mutua no pudo acceder a sus datos en este dispositivo.";
    TryAgain => "Try again", "Reintentar";
    Saving => "Saving…", "Guardando…";
    Back => "Back", "Volver";
    No => "No, keep it", "No, mantener";
    Edit => "Edit", "Editar";
    Delete => "Delete", "Eliminar";
    Remove => "Remove", "Quitar";
    YesDelete => "Yes, delete", "Sí, eliminar";
    YesRemove => "Yes, remove", "Sí, quitar";
    Clear => "Clear", "Borrar";
    You => "you", "tú";
    TodayWord => "Today", "Hoy";
    Day => "Day", "Día";
    Week => "Week", "Semana";
    Month => "Month", "Mes";
    From => "From", "Desde";
    To => "To", "Hasta";
    Open => "Open", "Abrir";
    DatePlaceholder => "YYYY-MM-DD", "AAAA-MM-DD";
    DateFormatHint => "Year-month-day, e.g. 2026-02-10", "Año-mes-día, p. ej., 2026-02-10";

    // First run
    WelcomeTitle => "Welcome to Mutua", "Te damos la bienvenida a Mutua";
    WelcomeLede => "Your groups, meetings, peers and journal — on this device, private, even offline.", "Tus grupos, reuniones, compañeros y diario: en este dispositivo, en privado, incluso sin conexión.";
    Language => "Language", "Idioma";
    Pseudonym => "Pseudonym", "Seudónimo";
    PseudonymNorm => "Groups keep members anonymous: use your first name and the initial of your last name, like \"Sam R.\". Never a phone number or e-mail.", "Los grupos protegen el anonimato: usa tu nombre de pila y la inicial de tu apellido, como «Ana R.». Nunca un teléfono ni un correo.";
    PseudonymExample => "Sam R.", "Ana R.";
    ProtectTitle => "Protect your data", "Protege tus datos";
    ProtectHint => "Everything stays encrypted on this device. Choose how to open it.", "Todo se guarda cifrado en este dispositivo. Elige cómo abrirlo.";
    ProtectHintPassphrase => "Everything stays encrypted on this device, opened with a passphrase only you know.", "Todo se guarda cifrado en este dispositivo y se abre con una contraseña que solo tú conoces.";
    ProtectKeychain => "Use this computer's keychain (no passphrase to remember)", "Usar el llavero de este equipo (sin contraseña que recordar)";
    ProtectPassphrase => "Use a passphrase", "Usar una contraseña";
    Passphrase => "Passphrase", "Contraseña";
    PassphraseHint => "At least {0} characters. A few words you will remember work well. It cannot be recovered if forgotten.", "Al menos {0} caracteres. Unas cuantas palabras que recuerdes funcionan bien. Si la olvidas, no se puede recuperar.";
    PassphraseAgain => "Passphrase again", "Repite la contraseña";
    TimeZone => "Your time zone", "Tu zona horaria";
    TimeZoneHint => "Meetings and availability are shown on this clock.", "Las reuniones y la disponibilidad se muestran con esta hora.";
    Start => "Start using Mutua", "Empezar a usar Mutua";
    SettingUp => "Setting up…", "Preparando…";
    WelcomeSaid => "Welcome, {0}", "Te damos la bienvenida, {0}";

    // Unlock
    UnlockTitle => "Mutua is locked", "Mutua está bloqueada";
    UnlockLede => "Your data is encrypted on this device. Open it to continue.", "Tus datos están cifrados en este dispositivo. Ábrelos para continuar.";
    Unlock => "Unlock", "Desbloquear";
    Unlocked => "Unlocked.", "Desbloqueada.";

    // Today
    Hello => "Hello, {0}", "Hola, {0}";
    NextMeetings => "Next meetings", "Próximas reuniones";
    NoMeetingsSoon => "No meetings in the next days. Add your group's meetings in the calendar.", "No hay reuniones en los próximos días. Añade las reuniones de tu grupo en el calendario.";
    OpenCalendar => "Open the calendar", "Abrir el calendario";
    ReachNow => "Who can I reach now", "A quién puedo contactar ahora";
    NobodyReachable => "Nobody's availability covers this moment. Add contacts and when they are OK to be called.", "Nadie está disponible en este momento. Añade contactos y cuándo se les puede llamar.";
    ReachDetail => "Their time {0} · available until {1} your time", "Su hora {0} · disponible hasta las {1} (tu hora)";
    RecentJournal => "Recent journal", "Diario reciente";
    NoRecentEntries => "No journal entries yet. A mood or a few words is enough to start.", "Aún no hay entradas en el diario. Un estado de ánimo o unas palabras bastan para empezar.";
    WriteEntry => "Write in the journal", "Escribir en el diario";
    CheckInTitle => "How are you right now?", "¿Cómo estás ahora?";
    MoodSaved => "Saved: {0}.", "Guardado: {0}.";
    JoinLink => "Join link", "Enlace para unirse";

    // Groups
    NewGroup => "New group", "Nuevo grupo";
    ShowArchived => "Show archived groups", "Mostrar grupos archivados";
    NoGroups => "You are not in any group yet. Create one for the group you meet with.", "Todavía no estás en ningún grupo. Crea uno para el grupo con el que te reúnes.";
    Archived => "Archived", "Archivado";
    KindMutualAid => "Peer-led mutual-aid group", "Grupo de ayuda mutua entre pares";
    KindMutualAidHint => "Open-ended, run by its members.", "Sin fecha de fin, dirigido por sus miembros.";
    KindFacilitated => "Facilitated support group", "Grupo de apoyo con facilitador";
    KindFacilitatedHint => "Led by a facilitator for a planned number of sessions.", "Dirigido por un facilitador durante un número previsto de sesiones.";
    AdmissionOpen => "Open", "Abierto";
    AdmissionClosed => "Closed", "Cerrado";
    AdmissionOpenHint => "Open: newcomers welcome at any meeting", "Abierto: se acoge a personas nuevas en cualquier reunión";
    AdmissionClosedHint => "Closed: only the members who started together", "Cerrado: solo quienes empezaron juntos";
    BackToGroups => "‹ All groups", "‹ Todos los grupos";
    GroupActions => "Group actions", "Acciones del grupo";
    AddMeeting => "Add meeting", "Añadir reunión";
    EditGroup => "Edit group", "Editar grupo";
    ExportIcs => "Export calendar (.ics)", "Exportar calendario (.ics)";
    CalendarExported => "Calendar saved to {0}.", "Calendario guardado en {0}.";
    Archive => "Archive", "Archivar";
    Unarchive => "Unarchive", "Desarchivar";
    ArchiveQuestion => "Archive this group? Its meetings leave your calendar; you can unarchive it later.", "¿Archivar este grupo? Sus reuniones saldrán de tu calendario; puedes desarchivarlo después.";
    UnarchiveQuestion => "Bring this group back to your list and calendar?", "¿Devolver este grupo a tu lista y tu calendario?";
    YesArchive => "Yes, archive", "Sí, archivar";
    GroupArchived => "Group archived.", "Grupo archivado.";
    GroupUnarchived => "Group back in your list.", "El grupo vuelve a tu lista.";
    LeaveGroup => "Leave group", "Salir del grupo";
    LeaveQuestion => "Leave this group? It disappears from this device's lists.", "¿Salir de este grupo? Desaparecerá de las listas de este dispositivo.";
    YesLeave => "Yes, leave", "Sí, salir";
    LeftGroup => "You left {0}.", "Saliste de {0}.";
    About => "About", "Acerca del grupo";
    PlannedSessions => "Planned sessions", "Sesiones previstas";
    Place => "Place", "Lugar";
    OnlineLink => "Online link", "Enlace en línea";
    Guidelines => "Guidelines", "Acuerdos del grupo";
    NoGuidelines => "No guidelines written yet.", "Aún no hay acuerdos escritos.";
    Members => "Members and roles", "Miembros y funciones";
    Meetings => "Meetings", "Reuniones";
    NoSeries => "No meetings yet. Add the group's regular meeting with \"Add meeting\".", "Aún no hay reuniones. Añade la reunión habitual del grupo con «Añadir reunión».";
    FromDate => "from {0}", "desde el {0}";
    EditSeries => "Edit series", "Editar serie";
    DeleteSeries => "Delete series", "Eliminar serie";
    DeleteSeriesQuestion => "Delete this meeting series and all its dates?", "¿Eliminar esta serie de reuniones y todas sus fechas?";
    SeriesDeleted => "Meeting series deleted.", "Serie de reuniones eliminada.";
    CancelledMeetings => "Cancelled meetings", "Reuniones canceladas";
    Restore => "Restore", "Restaurar";
    MeetingRestored => "Meeting on {0} restored.", "Reunión del {0} restaurada.";

    // Group form
    GroupName => "Group name", "Nombre del grupo";
    Purpose => "Purpose", "Propósito";
    PurposeHint => "What the group is about, in a sentence or two.", "De qué trata el grupo, en una o dos frases.";
    Kind => "Kind of group", "Tipo de grupo";
    Admission => "Admission", "Admisión";
    GroupLanguage => "Language of the meetings", "Idioma de las reuniones";
    NotSet => "Not set", "Sin indicar";
    MeetingPlace => "Meeting place", "Lugar de reunión";
    GuidelinesHint => "The group's own agreements, shown to members when they join (confidentiality, no recording, …).", "Los acuerdos propios del grupo, que se muestran al unirse (confidencialidad, no grabar, …).";
    SaveGroup => "Save group", "Guardar grupo";
    GroupCreated => "Group created.", "Grupo creado.";
    ChangesSaved => "Changes saved.", "Cambios guardados.";

    // Calendar
    Agenda => "Agenda", "Agenda";
    CalendarViewLabel => "Calendar view", "Vista del calendario";
    ChangeMonth => "Change month", "Cambiar de mes";
    PreviousMonth => "Previous month", "Mes anterior";
    NextMonth => "Next month", "Mes siguiente";
    ThisMonth => "This month", "Este mes";
    NoMeetingsThisMonth => "No meetings in {0}. Add a meeting with \"Add meeting\", or look at another month.", "No hay reuniones en {0}. Añade una con «Añadir reunión» o mira otro mes.";
    NoMeetingsThisDay => "No meetings this day.", "No hay reuniones este día.";
    OneMeeting => "1 meeting", "1 reunión";
    ManyMeetings => "{0} meetings", "{0} reuniones";
    MonthKeyboardHint => "Choose a day to see its meetings below. Arrow keys move between days.", "Elige un día para ver sus reuniones debajo. Las flechas mueven entre días.";
    Cancelled => "Cancelled", "Cancelada";
    Moved => "Moved", "Cambiada de fecha";
    MoveMeeting => "Move", "Cambiar fecha";
    CancelMeeting => "Cancel meeting", "Cancelar reunión";
    CancelMeetingQuestion => "Cancel this one meeting? The rest of the series stays.", "¿Cancelar solo esta reunión? El resto de la serie se mantiene.";
    YesCancelMeeting => "Yes, cancel it", "Sí, cancelarla";
    MeetingCancelled => "Meeting on {0} cancelled.", "Reunión del {0} cancelada.";
    MoveHint => "New date and time, on the meeting's own clock ({0}).", "Nueva fecha y hora, en la hora de la reunión ({0}).";
    NewDate => "New date", "Nueva fecha";
    NewTime => "New time", "Nueva hora";
    MoveSave => "Move meeting", "Cambiar la reunión";
    MeetingMoved => "Meeting moved.", "Reunión cambiada de fecha.";

    // Series form
    EditMeeting => "Edit meeting", "Editar reunión";
    NeedGroupFirst => "Meetings belong to a group. Create your group first.", "Las reuniones pertenecen a un grupo. Crea primero tu grupo.";
    Group => "Group", "Grupo";
    MeetingTitle => "Meeting title", "Título de la reunión";
    MeetingTitleExample => "Tuesday evening meeting", "Reunión del martes por la tarde";
    FirstDate => "First date", "Primera fecha";
    StartTime => "Start time", "Hora de inicio";
    DurationMinutes => "Length (minutes)", "Duración (minutos)";
    MeetingTimeZone => "Time zone of the meeting", "Zona horaria de la reunión";
    Repeats => "Repeats", "Se repite";
    RepeatOnce => "Does not repeat", "No se repite";
    RepeatWeekly => "Every week on…", "Cada semana el…";
    OnTheseDays => "On these days", "Estos días";
    RepeatMonthlyWeekday => "Every month on a weekday (e.g. the second Tuesday)", "Cada mes un día de la semana (p. ej., el segundo martes)";
    WhichWeek => "Which one", "Cuál";
    Weekday => "Day of the week", "Día de la semana";
    RepeatMonthlyDay => "Every month on a day number", "Cada mes en un número de día";
    DayOfMonth => "Day of the month", "Día del mes";
    RepeatCustom => "Keep the current rule", "Mantener la regla actual";
    Ends => "Ends", "Termina";
    EndsNever => "Never", "Nunca";
    EndsOn => "On", "El";
    LastDate => "Last date", "Última fecha";
    EndsAfter => "After", "Después de";
    NumberOfMeetings => "Number of meetings", "Número de reuniones";
    RuleIncomplete => "Finish the choices above to see when it repeats.", "Completa las opciones de arriba para ver cuándo se repite.";
    StartMoved => "{0} is not one of these dates, so the first meeting will be on {1}.", "El {0} no es una de estas fechas, así que la primera reunión será el {1}.";
    HowPeopleAttend => "How people attend", "Cómo se asiste";
    JoinLinkLabel => "Link to join", "Enlace para unirse";
    PhoneToCall => "Phone number to call", "Número de teléfono para llamar";
    MeetingAgenda => "Agenda (optional)", "Orden del día (opcional)";
    SaveMeeting => "Save meeting", "Guardar reunión";
    MeetingAdded => "Meeting added.", "Reunión añadida.";

    // Contacts
    AddContact => "Add contact", "Añadir contacto";
    EditContact => "Edit contact", "Editar contacto";
    AllContacts => "All contacts", "Todos los contactos";
    NoContacts => "No contacts yet. Add the peers you exchanged details with at a meeting.", "Aún no hay contactos. Añade a los compañeros con quienes intercambiaste datos en una reunión.";
    NoAvailability => "No availability given", "Sin disponibilidad indicada";
    AvailabilityLine => "OK to contact: {0} ({1} time)", "Se le puede contactar: {0} (hora de {1})";
    RemoveContactQuestion => "Remove this contact from this device?", "¿Quitar este contacto de este dispositivo?";
    ContactRemoved => "{0} removed.", "{0} quitado de tus contactos.";
    ContactAdded => "{0} added.", "{0} añadido a tus contactos.";
    ContactSaved => "{0} saved.", "{0} guardado.";
    ContactPseudonymHint => "As they introduce themselves in the group, e.g. \"Sam R.\".", "Como se presenta en el grupo, p. ej., «Ana R.».";
    TheirTimeZone => "Their time zone", "Su zona horaria";
    Phone => "Phone (optional)", "Teléfono (opcional)";
    Link => "Link (optional)", "Enlace (opcional)";
    MetIn => "Group", "Grupo";
    NoGroup => "No group", "Sin grupo";
    Note => "Note (optional)", "Nota (opcional)";
    Availability => "When they are OK to be contacted", "Cuándo se le puede contactar";
    AvailabilityHint => "Weekly times on their own clock. A time that ends before it starts runs past midnight.", "Horarios semanales en su propia hora. Un horario que termina antes de empezar pasa de la medianoche.";
    NoAvailabilityYet => "No times yet.", "Aún no hay horarios.";
    AddTime => "Add a time", "Añadir un horario";
    RemoveTimeN => "Remove time {0}", "Quitar el horario {0}";
    SaveContact => "Save contact", "Guardar contacto";

    // Messages
    WriteToSomeone => "Write to someone", "Escribir a alguien";
    PeopleToWrite => "Who do you want to write to?", "¿A quién quieres escribir?";
    NoPeers => "Nobody to write to yet: the members of your groups appear here.", "Aún no hay nadie a quien escribir: aquí aparecen los miembros de tus grupos.";
    NoConversations => "No conversations yet. Each of your groups has a thread here; create or join a group to start.", "Aún no hay conversaciones. Cada uno de tus grupos tiene aquí su hilo; crea un grupo o únete a uno para empezar.";
    ConversationGroup => "Group thread", "Hilo del grupo";
    ConversationDirect => "One-to-one", "Conversación privada";
    NoMessagesYet => "No messages yet", "Aún no hay mensajes";
    UnreadCount => "{0} unread", "{0} sin leer";
    UnreadNav => "{0} unread messages", "{0} mensajes sin leer";
    BackToMessages => "‹ All messages", "‹ Todos los mensajes";
    ThreadEmptyGroup => "No messages yet. Say hello, or ask how everyone is doing this week.", "Aún no hay mensajes. Saluda, o pregunta cómo le va la semana a cada quien.";
    ThreadEmptyDirect => "No messages yet. Write the first one below.", "Aún no hay mensajes. Escribe el primero abajo.";
    ThreadReadOnly => "This group is archived: its thread can be read but not written to.", "Este grupo está archivado: su hilo se puede leer, pero ya no escribir.";
    LoadOlder => "Show older messages", "Ver mensajes anteriores";
    MessagesOf => "Messages", "Mensajes";
    MessageLabel => "Your message", "Tu mensaje";
    MessagePlaceholder => "Write a message…", "Escribe un mensaje…";
    Send => "Send", "Enviar";
    Sending => "Sending…", "Enviando…";
    MessageSent => "Message sent.", "Mensaje enviado.";
    SendAsCheckIn => "Send as a check-in (asks how everyone is doing)", "Enviar como ronda (pregunta cómo está cada quien)";
    CheckInPrompt => "How is everyone doing this week?", "¿Cómo les va esta semana?";
    CheckIn => "Check-in", "Ronda";
    Reply => "Reply", "Responder";
    ReplyTo => "Reply to {0}", "Responder a {0}";
    ReplyingTo => "Replying to {0}: “{1}”", "Respondiendo a {0}: «{1}»";
    CancelReply => "Cancel reply", "Cancelar respuesta";
    QuoteOf => "In reply to {0}: “{1}”", "En respuesta a {0}: «{1}»";
    QuoteDeleted => "In reply to a deleted message", "En respuesta a un mensaje eliminado";
    React => "React", "Reaccionar";
    ReactionsFor => "Reactions", "Reacciones";
    ReactWith => "React with {0}", "Reaccionar con {0}";
    ReactionBy => "{0}: {1}", "{0}: {1}";
    DeleteForMe => "Delete for me", "Eliminar para mí";
    DeleteForMeQuestion => "Delete this message on this device? The others keep it.", "¿Eliminar este mensaje en este dispositivo? Los demás lo conservan.";
    YesDeleteForMe => "Yes, delete for me", "Sí, eliminar para mí";
    DeletedForMe => "Message deleted for you.", "Mensaje eliminado para ti.";
    Retract => "Delete for everyone", "Eliminar para todos";
    RetractQuestion => "Delete this message for everyone? A note that it was deleted stays.", "¿Eliminar este mensaje para todos? Quedará una nota de que se eliminó.";
    YesRetract => "Yes, delete for everyone", "Sí, eliminar para todos";
    Retracted => "Message deleted for everyone.", "Mensaje eliminado para todos.";
    DeletedByAuthor => "This message was deleted.", "Este mensaje fue eliminado.";
    Edited => "edited", "editado";
    ReadBy => "Read by {0}", "Leído por {0}";
    ErrMessageEmpty => "Write something to send.", "Escribe algo para enviar.";
    ReadReceipts => "Read receipts", "Confirmaciones de lectura";
    ReadReceiptsHint => "When on, others see how far you have read, and you see theirs. Off unless you turn it on.", "Si las activas, los demás ven hasta dónde has leído y tú ves lo mismo de ellos. Están desactivadas salvo que las actives.";
    ReadReceiptsLabel => "Let others see when I have read their messages", "Dejar que los demás vean cuándo he leído sus mensajes";
    ReadReceiptsOn => "Read receipts on.", "Confirmaciones de lectura activadas.";
    ReadReceiptsOff => "Read receipts off.", "Confirmaciones de lectura desactivadas.";
    OpenThread => "Open the group's messages", "Abrir los mensajes del grupo";

    // Journal
    JournalPrivate => "Private: your journal never leaves your own devices.", "Privado: tu diario nunca sale de tus propios dispositivos.";
    NewEntry => "New entry", "Nueva entrada";
    EditEntry => "Edit entry", "Editar entrada";
    Mood => "Mood", "Estado de ánimo";
    NoMood => "No mood", "Sin estado de ánimo";
    Emotions => "Emotions", "Emociones";
    WhatsOnYourMind => "What's on your mind?", "¿Qué tienes en mente?";
    Tags => "Tags", "Etiquetas";
    TagsHint => "Separate with commas, e.g. work, family.", "Sepáralas con comas, p. ej., trabajo, familia.";
    SaveEntry => "Save entry", "Guardar entrada";
    SaveChanges => "Save changes", "Guardar cambios";
    CancelEditing => "Stop editing", "Dejar de editar";
    EntrySaved => "Entry saved.", "Entrada guardada.";
    EntryUpdated => "Entry updated.", "Entrada actualizada.";
    EntryDeleted => "Entry deleted.", "Entrada eliminada.";
    DeleteEntryQuestion => "Delete this entry for good?", "¿Eliminar esta entrada para siempre?";
    MoodChartTitle => "Mood over the last 30 days", "Estado de ánimo en los últimos 30 días";
    NoMoodsYet => "No moods recorded in the last 30 days. Pick a face above, or on Today, to start.", "No hay estados de ánimo en los últimos 30 días. Elige una cara arriba, o en Hoy, para empezar.";
    MoodSummary => "Average mood {0} over {1} days", "Ánimo medio {0} en {1} días";
    MoodSummaryOneDay => "Mood {0} on 1 day", "Ánimo {0} en 1 día";
    MoodHighest => "highest {0} on {1}", "el más alto {0} el {1}";
    MoodLowest => "lowest {0} on {1}", "el más bajo {0} el {1}";
    SearchJournal => "Search the journal", "Buscar en el diario";
    SearchPlaceholder => "Words to find", "Palabras que buscar";
    Search => "Search", "Buscar";
    NothingFound => "Nothing found for \"{0}\".", "No se encontró nada para «{0}».";
    OneResult => "1 entry found", "1 entrada encontrada";
    ManyResults => "{0} entries found", "{0} entradas encontradas";
    Entries => "Entries", "Entradas";
    ShowBy => "Show by", "Mostrar por";
    ChangePeriod => "Change period", "Cambiar de periodo";
    Earlier => "Earlier", "Antes";
    Later => "Later", "Después";
    NoEntriesDay => "No entries this day. Write one above — a mood or a single word counts.", "No hay entradas este día. Escribe una arriba: un estado de ánimo o una palabra cuentan.";
    NoEntriesWeek => "No entries this week. Write one above — a mood or a single word counts.", "No hay entradas esta semana. Escribe una arriba: un estado de ánimo o una palabra cuentan.";
    NoEntriesMonth => "No entries this month. Write one above — a mood or a single word counts.", "No hay entradas este mes. Escribe una arriba: un estado de ánimo o una palabra cuentan.";

    // Settings
    Profile => "Profile", "Perfil";
    SaveProfile => "Save profile", "Guardar perfil";
    ProfileSaved => "Profile saved.", "Perfil guardado.";
    LanguageOfApp => "Language of Mutua", "Idioma de Mutua";
    LanguageSaved => "Language changed.", "Idioma cambiado.";
    LockTitle => "Lock", "Bloqueo";
    LockHint => "Close your data until you unlock it again, e.g. before lending this device.", "Cierra tus datos hasta que vuelvas a desbloquearlos, p. ej., antes de prestar este dispositivo.";
    LockNow => "Lock now", "Bloquear ahora";
    ExportTitle => "Export your data", "Exportar tus datos";
    ExportHint => "Everything in one JSON file, plus one calendar (.ics) per group, in a folder you choose.", "Todo en un archivo JSON, más un calendario (.ics) por grupo, en la carpeta que elijas.";
    ExportButton => "Choose a folder and export", "Elegir carpeta y exportar";
    Exporting => "Exporting…", "Exportando…";
    ExportDone => "Export finished: {0} files written.", "Exportación terminada: {0} archivos escritos.";
    DeleteEverythingTitle => "Delete everything", "Eliminar todo";
    DeleteEverythingHint => "Removes all your groups, meetings, contacts and journal from this device. This cannot be undone; export first if you may want them later.", "Elimina todos tus grupos, reuniones, contactos y diario de este dispositivo. No se puede deshacer; exporta antes si puedes necesitarlos.";
    DeleteEverything => "Delete everything…", "Eliminar todo…";
    TypePseudonymToConfirm => "To confirm, type your pseudonym: {0}", "Para confirmar, escribe tu seudónimo: {0}";
    DeleteEverythingFinal => "Delete everything now", "Eliminar todo ahora";
    KeepMyData => "Keep my data", "Conservar mis datos";
    VersionLine => "Mutua version {0}", "Mutua versión {0}";

    // Errors typed by the member (shown next to the field)
    ErrPseudonymEmpty => "Enter a pseudonym, such as a first name and an initial.", "Escribe un seudónimo, como un nombre y una inicial.";
    ErrPassphraseShort => "The passphrase needs at least {0} characters.", "La contraseña necesita al menos {0} caracteres.";
    ErrPassphraseMismatch => "The two passphrases are not the same.", "Las dos contraseñas no coinciden.";
    ErrPassphraseEmpty => "Enter your passphrase.", "Escribe tu contraseña.";
    ErrWrongPassphrase => "That passphrase is not the right one. Check it and try again.", "Esa contraseña no es la correcta. Revísala e inténtalo de nuevo.";
    ErrGroupName => "Give the group a name.", "Ponle un nombre al grupo.";
    ErrPlannedSessions => "Enter a number of sessions from 1 to 200.", "Escribe un número de sesiones entre 1 y 200.";
    ErrUrl => "Enter a web link that starts with https://", "Escribe un enlace web que empiece por https://";
    ErrTitle => "Give the meeting a title.", "Ponle un título a la reunión.";
    ErrChooseGroup => "Choose a group.", "Elige un grupo.";
    ErrDate => "Enter a date (year-month-day).", "Escribe una fecha (año-mes-día).";
    ErrTime => "Enter a time (hours:minutes).", "Escribe una hora (horas:minutos).";
    ErrDuration => "Enter a length from 5 to 1440 minutes.", "Escribe una duración entre 5 y 1440 minutos.";
    ErrMonthDay => "Enter a day of the month from 1 to 31.", "Escribe un día del mes entre 1 y 31.";
    ErrCount => "Enter how many meetings (1 or more).", "Escribe cuántas reuniones (1 o más).";
    ErrWeekdays => "Choose at least one day of the week.", "Elige al menos un día de la semana.";
    ErrUntilBeforeStart => "The last date is before the first meeting.", "La última fecha es anterior a la primera reunión.";
    ErrPlace => "An in-person meeting needs a place.", "Una reunión presencial necesita un lugar.";
    ErrLink => "An online meeting needs a link.", "Una reunión en línea necesita un enlace.";
    ErrPhone => "A phone meeting needs a number to call.", "Una reunión por teléfono necesita un número al que llamar.";
    ErrWindow => "Time {0} needs a start and an end (hours:minutes).", "El horario {0} necesita un inicio y un fin (horas:minutos).";
    ErrEmptyEntry => "Write something, or choose a mood or an emotion.", "Escribe algo, o elige un estado de ánimo o una emoción.";
    ErrConfirmPseudonym => "Type your pseudonym exactly as shown.", "Escribe tu seudónimo exactamente como aparece.";

    // Sync, invitations, members
    SyncOff => "Sync is off: everything stays on this device.", "La sincronización está desactivada: todo se queda en este dispositivo.";
    SyncingCounts => "Syncing group {0} of {1}: {2} received, {3} sent…", "Sincronizando el grupo {0} de {1}: {2} recibidos, {3} enviados…";
    SyncedAt => "Up to date · synced {0}", "Al día · sincronizado {0}";
    SyncListening => "Connected, waiting for news", "Conectado, esperando novedades";
    SyncRetrying => "Not synced: {0} Trying again in {1} s.", "Sin sincronizar: {0} Se reintentará en {1} s.";
    SyncProblem => "Sync problem: {0}", "Problema de sincronización: {0}";
    SyncTitle => "Sync", "Sincronización";
    SyncHint => "Your groups and messages travel end-to-end encrypted through a relay: it stores them without being able to read them. Your journal never leaves this device. Without a relay, Mutua works only on this device.", "Tus grupos y mensajes viajan cifrados de extremo a extremo a través de un relé: los guarda sin poder leerlos. Tu diario nunca sale de este dispositivo. Sin relé, Mutua funciona solo en este dispositivo.";
    RelayUrl => "Relay address", "Dirección del relé";
    RelayUrlHint => "Ask your group for it, for example https://relay.example.org. Leave it empty to turn sync off.", "Pídela a tu grupo, por ejemplo https://relay.example.org. Déjala vacía para desactivar la sincronización.";
    AutoApproveLabel => "Let people with a valid invitation join my open groups without waiting for me", "Dejar que quien tenga una invitación válida entre en mis grupos abiertos sin esperarme";
    NotificationPreviewsLabel => "Show who wrote and the start of the message in notifications (never while Mutua is locked)", "Mostrar quién escribió y el comienzo del mensaje en las notificaciones (nunca con Mutua bloqueada)";
    SaveSync => "Save sync settings", "Guardar la sincronización";
    SyncNow => "Sync now", "Sincronizar ahora";
    SyncEvents => "Recent sync notices", "Avisos recientes de sincronización";
    SyncSettingsSaved => "Sync settings saved. Syncing…", "Sincronización guardada. Sincronizando…";
    SyncTurnedOff => "Sync settings saved. Sync is off.", "Sincronización guardada. Está desactivada.";
    SyncStarted => "Syncing now.", "Sincronizando ahora.";
    BackToGroup => "← Back to the group", "← Volver al grupo";
    InviteButton => "Invite", "Invitar";
    InviteTitle => "Invite someone to {0}", "Invitar a alguien a {0}";
    InviteHow => "How will they join?", "¿Cómo se unirá?";
    InviteInPerson => "Here, in person", "Aquí, en persona";
    InviteInPersonHint => "they scan the QR code on this screen and are in at once. Show it only to them.", "escanea el código QR de esta pantalla y entra en el acto. Muéstralo solo a esa persona.";
    InviteRemote => "From afar", "A distancia";
    InviteRemoteHint => "send them the code; a facilitator approves their request before they can read anything.", "envíale el código; una persona facilitadora aprueba su solicitud antes de que pueda leer nada.";
    InviteCreate => "Make an invitation", "Crear la invitación";
    InviteReady => "Invitation ready.", "Invitación lista.";
    InviteQrLabel => "QR code of the invitation", "Código QR de la invitación";
    InviteCodeLabel => "Or copy this code", "O copia este código";
    InviteInPersonNote => "Anyone with this code can join and read the group: keep it private. It works until {0}.", "Quien tenga este código puede unirse y leer el grupo: no lo compartas. Sirve hasta el {0}.";
    InviteRemoteNote => "Send it by any means you trust. It works until {0}; you will see their request under Groups.", "Envíalo por un medio de confianza. Sirve hasta el {0}; verás su solicitud en Grupos.";
    JoinGroupButton => "Join a group", "Unirse a un grupo";
    JoinTitle => "Join a group", "Unirse a un grupo";
    JoinCodeLabel => "Invitation code", "Código de invitación";
    JoinCodeHint => "Paste the code you were given (it starts with mutua-invite:), or open a picture of its QR code.", "Pega el código que te dieron (empieza por mutua-invite:), o abre una imagen de su código QR.";
    JoinButton => "Join", "Unirme";
    OpenPicture => "Open a picture…", "Abrir una imagen…";
    OpenGroup => "Open the group", "Abrir el grupo";
    CodeReadFromPicture => "Code read from the picture. Check it and press Join.", "Código leído de la imagen. Revísalo y pulsa Unirme.";
    JoinedGroup => "You joined {0}. Its details arrive with the next sync.", "Te uniste a {0}. Sus datos llegan con la próxima sincronización.";
    JoinRequested => "Your request to join {0} is on its way. You are in once a facilitator approves it.", "Tu solicitud para unirte a {0} está en camino. Entrarás cuando una persona facilitadora la apruebe.";
    JoinRequestsTitle => "Asking to join", "Piden unirse";
    AsksToJoin => "{0} asks to join {1}", "{0} pide unirse a {1}";
    Approve => "Approve", "Aprobar";
    Decline => "Decline", "Rechazar";
    RequestApproved => "{0} was let in. They receive the group with the next sync.", "{0} ha entrado. Recibirá el grupo con la próxima sincronización.";
    RequestDeclined => "{0}'s request was declined.", "Se rechazó la solicitud de {0}.";
    RemoveMember => "Remove", "Quitar";
    RemoveMemberQuestion => "Remove this member from the group? They keep what they already have but cannot read anything new.", "¿Quitar a este miembro del grupo? Conserva lo que ya tiene, pero no podrá leer nada nuevo.";
    MemberRemoved => "{0} was removed. The group's key changes with the next sync.", "Se quitó a {0}. La clave del grupo cambia con la próxima sincronización.";
    ErrCodeEmpty => "Paste an invitation code, or open a picture of one.", "Pega un código de invitación, o abre una imagen de uno.";
    PairFromOther => "I already use Mutua on another device", "Ya uso Mutua en otro dispositivo";
    PairFromOtherHint => "On that device, open Settings → Devices → Pair a new device, then paste its code here (or open a picture of its QR code). Your journal stays on each device.", "En ese dispositivo, abre Ajustes → Dispositivos → Vincular un dispositivo nuevo y pega aquí su código (o abre una imagen de su código QR). Tu diario se queda en cada dispositivo.";
    PairCodeLabel => "Pairing code", "Código de vinculación";
    PairPassphrase => "A passphrase for this device", "Una contraseña para este dispositivo";
    PairPassphraseAgain => "The passphrase again", "La contraseña otra vez";
    PairSubmit => "Pair this device", "Vincular este dispositivo";
    ErrPairCodeEmpty => "Paste the code your other device shows.", "Pega el código que muestra tu otro dispositivo.";
    PairingTitle => "Waiting for your other device", "Esperando a tu otro dispositivo";
    PairingWaiting => "Keep Mutua open and online on your other device: it answers with its next sync. The code works until {0}.", "Mantén Mutua abierta y conectada en tu otro dispositivo: responde en su próxima sincronización. El código sirve hasta el {0}.";
    PairingRefused => "Your other device did not accept this device: {0} Start again with a new code.", "Tu otro dispositivo no aceptó este: {0} Empieza de nuevo con un código nuevo.";
    PairingStartOver => "Start again", "Empezar de nuevo";
    DevicesTitle => "Your devices", "Tus dispositivos";
    DevicesHint => "Your groups, messages, profile and contacts are on each of your devices. Your journal never leaves the device it was written on.", "Tus grupos, mensajes, perfil y contactos están en cada uno de tus dispositivos. Tu diario nunca sale del dispositivo en que lo escribiste.";
    ThisDevice => "this device", "este dispositivo";
    PairNewDevice => "Pair a new device", "Vincular un dispositivo nuevo";
    PairCodeReady => "Pairing code ready.", "Código de vinculación listo.";
    PairQrLabel => "QR code to pair a new device", "Código QR para vincular un dispositivo nuevo";
    PairCodeNote => "Enter it on the new device's first screen. It works once, until {0}. Keep Mutua open here until the new device is in.", "Introdúcelo en la primera pantalla del dispositivo nuevo. Sirve una vez, hasta el {0}. Mantén Mutua abierta aquí hasta que el dispositivo nuevo entre.";
    JustNow => "just now", "ahora mismo";
    MinutesAgo => "{0} min ago", "hace {0} min";
    HoursAgo => "{0} h ago", "hace {0} h";

    // --- sync files ---
    SyncFileTitle => "Sync file", "Archivo de sincronización";
    SyncFileGo => "Sync with no internet: a sync file…", "Sincronizar sin internet: un archivo…";
    SyncFileBack => "‹ Settings", "‹ Ajustes";
    SyncFileIntro => "No internet? Save your groups' updates to a file and pass it on a USB stick, an SD card or any messenger. It is encrypted: only members of your groups can open it, and your journal never goes into it. Whoever opens it gets what they did not have; opening a file twice changes nothing.", "¿Sin internet? Guarda las novedades de tus grupos en un archivo y pásalo en una memoria USB, una tarjeta SD o por cualquier mensajería. Va cifrado: solo los miembros de tus grupos pueden abrirlo, y tu diario nunca va en él. Quien lo abre recibe lo que no tenía; abrir un archivo dos veces no cambia nada.";
    SyncFileSaveTitle => "Save a sync file", "Guardar un archivo de sincronización";
    SyncFileWhat => "What to put in it", "Qué incluir";
    SyncFileEverything => "Everything: all my groups and conversations", "Todo: todos mis grupos y conversaciones";
    SyncFileOneGroup => "One group", "Un grupo";
    SyncFileOnePerson => "For one person: only what they do not have yet", "Para una persona: solo lo que aún no tiene";
    SyncFileGroupLabel => "Group", "Grupo";
    SyncFilePersonLabel => "Person", "Persona";
    SyncFileMyDevices => "My other devices", "Mis otros dispositivos";
    SyncFileChooseGroup => "Choose a group.", "Elige un grupo.";
    SyncFileChoosePerson => "Choose a person.", "Elige una persona.";
    SyncFileSave => "Save sync file…", "Guardar archivo…";
    SyncFileSaving => "Saving…", "Guardando…";
    SyncFileSaved => "Saved {0} for {1} to {2} ({3}).", "Guardado: {0} de {1} en {2} ({3}).";
    SyncFileNothingNew => "Nothing new for them: the file still tells their device what you have.", "Nada nuevo para esa persona: el archivo igualmente le dice a su dispositivo lo que tienes.";
    SyncFileCarriesKeys => "It carries {0}: whoever was removed from a group cannot read what follows.", "Lleva {0}: quien fue retirado de un grupo no puede leer lo que sigue.";
    SyncFileNothingToSave => "There is nothing to put in a sync file yet: join or create a group first (or choose someone you share a group with).", "Aún no hay nada que poner en un archivo: únete a un grupo o crea uno (o elige a alguien con quien compartas un grupo).";
    SyncFileCannotWrite => "The file could not be saved there ({0}). Nothing was left behind: try another place, or check that the stick is plugged in and has room.", "No se pudo guardar el archivo ahí ({0}). No quedó nada a medias: prueba otro lugar, o comprueba que la memoria esté conectada y tenga espacio.";
    SyncFileOpenTitle => "Open a sync file", "Abrir un archivo de sincronización";
    SyncFileOpenHint => "Open a file someone gave you. A damaged or foreign file changes nothing.", "Abre un archivo que alguien te dio. Un archivo dañado o ajeno no cambia nada.";
    SyncFileOpen => "Open sync file…", "Abrir archivo…";
    SyncFileOpening => "Opening…", "Abriendo…";
    SyncFileOpened => "Opened: {0}.", "Abierto: {0}.";
    SyncFileRemoved => "You were removed from {0}: nothing new from it reaches this device.", "Te retiraron de {0}: nada nuevo de ese grupo llega a este dispositivo.";
    SyncFileDamaged => "This sync file is damaged (it may have been cut short while copying). Nothing was changed: copy it again.", "Este archivo de sincronización está dañado (quizá se cortó al copiarlo). No se cambió nada: vuelve a copiarlo.";
    SyncFileNotASyncFile => "This is not a Mutua sync file. Nothing was changed.", "Este no es un archivo de sincronización de Mutua. No se cambió nada.";
    SyncFileTooNew => "This sync file was made by a newer version of Mutua. Nothing was changed: update Mutua to open it.", "Este archivo lo hizo una versión más nueva de Mutua. No se cambió nada: actualiza Mutua para abrirlo.";
    SyncFileNotForThisDevice => "This sync file is for groups this device is not in. Nothing was changed.", "Este archivo es para grupos en los que este dispositivo no está. No se cambió nada.";
    SyncFileCannotRead => "That file could not be read (was it moved, or the stick unplugged?). Nothing was changed.", "No se pudo leer ese archivo (¿se movió, o se desconectó la memoria?). No se cambió nada.";
    SyncFileUpdate => "1 update", "1 novedad";
    SyncFileUpdates => "{0} updates", "{0} novedades";
    SyncFileGroup => "1 group", "1 grupo";
    SyncFileGroups => "{0} groups", "{0} grupos";
    SyncFileKeyChange => "1 key change", "1 cambio de clave";
    SyncFileKeyChanges => "{0} key changes", "{0} cambios de clave";
    SyncFileNewUpdate => "1 new update", "1 novedad nueva";
    SyncFileNewUpdates => "{0} new updates", "{0} novedades nuevas";
    SyncFileGroupUpdated => "1 group updated", "1 grupo actualizado";
    SyncFileGroupsUpdated => "{0} groups updated", "{0} grupos actualizados";
    SyncFileGroupUpToDate => "1 group up to date", "1 grupo ya al día";
    SyncFileGroupsUpToDate => "{0} groups up to date", "{0} grupos ya al día";
    SyncFileRejectedOne => "Warning: 1 update was forged or altered and was not applied (see the sync notices).", "Atención: 1 novedad estaba falsificada o alterada y no se aplicó (mira los avisos de sincronización).";
    SyncFileRejectedMany => "Warning: {0} updates were forged or altered and were not applied (see the sync notices).", "Atención: {0} novedades estaban falsificadas o alteradas y no se aplicaron (mira los avisos de sincronización).";
    SyncFileWaitingOne => "1 update waits for a member's introduction or a key this device has not received yet; it opens when that arrives.", "1 novedad espera la presentación de un miembro o una clave que este dispositivo aún no tiene; se abrirá cuando llegue.";
    SyncFileWaitingMany => "{0} updates wait for a member's introduction or a key this device has not received yet; they open when that arrives.", "{0} novedades esperan la presentación de un miembro o una clave que este dispositivo aún no tiene; se abrirán cuando llegue.";
    SyncFileNotForMeOne => "1 part of the file was for groups or conversations this device is not in.", "1 parte del archivo era para grupos o conversaciones en los que este dispositivo no está.";
    SyncFileNotForMeMany => "{0} parts of the file were for groups or conversations this device is not in.", "{0} partes del archivo eran para grupos o conversaciones en los que este dispositivo no está.";
    SyncFileSizeBytes => "{0} bytes", "{0} bytes";
    SyncFileSizeKb => "{0} KB", "{0} KB";
    SyncFileSizeMb => "{0} MB", "{0} MB";
    // --- sync over poor links ---
    SyncingReceiving => "Syncing group {0} of {1}: {2} of {3} received ({4})…", "Sincronizando el grupo {0} de {1}: {2} de {3} recibidos ({4})…";
    SyncingSending => "Syncing group {0} of {1}: {2} of {3} sent, {4} to go…", "Sincronizando el grupo {0} de {1}: {2} de {3} enviados, faltan {4}…";
    SyncingMoved => "Syncing group {0} of {1}: {2} received, {3} sent ({4})…", "Sincronizando el grupo {0} de {1}: {2} recibidos, {3} enviados ({4})…";

    // Error kinds, before a message from the core
    KindNotFound => "Not found", "No encontrado";
    KindInvalid => "Please check", "Revisa los datos";
    KindLocked => "Mutua is locked. Unlock it to continue.", "Mutua está bloqueada. Desbloquéala para continuar.";
    KindStorage => "Could not read or write the data on this device", "No se pudieron leer o escribir los datos en este dispositivo";
    KindInternal => "Something went wrong", "Algo salió mal";
    KindNetwork => "Could not reach the relay", "No se pudo contactar con el relé";

    // Relative times
    HappeningNow => "happening now", "en curso";
    StartingNow => "starting now", "empieza ahora";
    InMinutes => "in {0} min", "en {0} min";
    InHours => "in {0} h", "en {0} h";
    Tomorrow => "tomorrow", "mañana";
    InDays => "in {0} days", "en {0} días";

    // Rules in words
    RuleOnce => "Does not repeat", "No se repite";
    RuleWeekly => "Every week on {0}", "Cada semana: {0}";
    RuleWeeklyNoDays => "Every week — choose at least one day", "Cada semana: elige al menos un día";
    RuleMonthlyWeekday => "Every month on the {0} {1}", "Cada mes, el {0} {1}";
    RuleMonthlyDay => "Every month on day {0}", "Cada mes, el día {0}";
    RuleCustom => "Repeats by the rule {0}", "Se repite según la regla {0}";
    RuleUntil => ", until {0}", ", hasta el {0}";
    RuleOnceCount => ", once", ", una vez";
    RuleCount => ", {0} times", ", {0} veces";
    And => "and", "y";

    // --- meeting hub ---
    HubTitle => "Meeting hub", "Punto de encuentro";
    HubEntryHint => "At a meeting with no internet: one device hosts sync for the room, and everyone else syncs with it.", "En una reunión sin internet: un dispositivo comparte la sincronización con la sala y los demás se sincronizan con él.";
    HubOpen => "Open the meeting hub", "Abrir el punto de encuentro";
    BackToSettings => "← Back to Settings", "← Volver a Ajustes";
    HubIntro => "No signal in the hall? One device hosts sync for this meeting on the room's Wi-Fi; everyone else syncs with it in one tap. Everything stays end-to-end encrypted, exactly as through the internet, and the host carries it on to the relay when it is back online.", "¿Sin cobertura en la sala? Un dispositivo comparte la sincronización de esta reunión por la wifi de la sala y los demás se sincronizan con él con un toque. Todo sigue cifrado de extremo a extremo, igual que por internet, y quien lo comparte lo hace llegar al relé cuando vuelve a tener conexión.";
    HubHostTitle => "Host sync for this meeting", "Compartir la sincronización de esta reunión";
    HubHostSwitch => "Host sync for this meeting", "Compartir la sincronización de esta reunión";
    HubHostingStarted => "Hosting: this is Hub {0}.", "Compartiendo: este es el punto {0}.";
    HubHostingStopped => "Hosting stopped.", "Se dejó de compartir.";
    HubName => "Hub {0}", "Punto {0}";
    HubUnnamed => "the hub", "el punto de encuentro";
    HubAddressIs => "Address to enter by hand:", "Dirección para escribir a mano:";
    HubNoNetwork => "This device has no local network address: join the room's Wi-Fi first.", "Este dispositivo no tiene dirección en la red local: conéctate antes a la wifi de la sala.";
    HubQrLabel => "QR code with this hub's address", "Código QR con la dirección de este punto";
    HubAnnounced => "Others can find it under \"Hubs nearby\" (it is announced with a random name and only its number).", "Los demás pueden encontrarlo en «Puntos cercanos» (se anuncia con un nombre al azar y solo su número).";
    HubNotAnnounced => "It could not be announced on this network: others enter the address or scan the QR code.", "No se pudo anunciar en esta red: los demás escriben la dirección o escanean el código QR.";
    HubDevicesSynced => "Devices that synced here: {0}", "Dispositivos que se sincronizaron aquí: {0}";
    HubConnecting => "Reaching {0}…", "Conectando con {0}…";
    HubSyncing => "Syncing with {0}: {1} received, {2} sent…", "Sincronizando con {0}: {1} recibidos, {2} enviados…";
    HubSynced => "Synced with {0} {1}: {2} received, {3} sent", "Sincronizado con {0} {1}: {2} recibidos, {3} enviados";
    HubRetrying => "Not synced with {0}: {1} Trying again in {2} s.", "Sin sincronizar con {0}: {1} Se reintentará en {2} s.";
    HubProblem => "Not synced with {0}: {1}", "Sin sincronizar con {0}: {1}";
    HubNearbyTitle => "Hubs nearby", "Puntos cercanos";
    HubFind => "Look for hubs nearby", "Buscar puntos cercanos";
    HubLooking => "Looking for hubs…", "Buscando puntos…";
    HubNoneFound => "No hub answered. Ask the host for the address on their screen and enter it below.", "Ningún punto respondió. Pide a quien lo comparte la dirección de su pantalla y escríbela abajo.";
    HubFound => "Hubs found: {0}", "Puntos encontrados: {0}";
    HubSyncWithThis => "Sync with this hub", "Sincronizar con este punto";
    HubJoining => "Reaching the hub…", "Conectando con el punto…";
    HubJoined => "Syncing with Hub {0} while you are here.", "Sincronizando con el punto {0} mientras estés aquí.";
    HubThisOne => "You are syncing with this hub.", "Te estás sincronizando con este punto.";
    HubHostingLine => "Hosting Hub {0} for this meeting.", "Compartiendo el punto {0} en esta reunión.";
    HubLeave => "Stop syncing with this hub", "Dejar de sincronizar con este punto";
    HubLeft => "Stopped syncing with the hub.", "Se dejó de sincronizar con el punto.";
    HubAddressLabel => "Enter a hub address", "Escribe la dirección de un punto";
    HubAddressHint => "As the host's screen shows it (192.168.1.20:8788), or paste the text of its QR code.", "Tal como aparece en la pantalla de quien lo comparte (192.168.1.20:8788), o pega el texto de su código QR.";
    HubAddressMissing => "Enter the address the host's screen shows.", "Escribe la dirección que aparece en la pantalla de quien lo comparte.";

    // Meeting formats
    FormatInPerson => "In person", "Presencial";
    FormatOnline => "Online", "En línea";
    FormatHybrid => "Hybrid (in person and online)", "Híbrida (presencial y en línea)";
    FormatPhone => "By phone", "Por teléfono";
}

/// Fills `{0}`, `{1}`, … in `template` with `values`.
pub fn fill(template: &str, values: &[&str]) -> String {
    let mut out = template.to_owned();
    for (index, value) in values.iter().enumerate() {
        out = out.replace(&format!("{{{index}}}"), value);
    }
    out
}

/// `1 meeting` / `3 meetings`: `one` for 1, `many` (with `{0}`) otherwise.
pub fn plural(count: u32, one: Key, many: Key, lang: Lang) -> String {
    if count == 1 {
        text(one, lang).to_owned()
    } else {
        fill(text(many, lang), &[&count.to_string()])
    }
}

const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const WEEKDAYS_ES: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
const WEEKDAYS_SHORT_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WEEKDAYS_SHORT_ES: [&str; 7] = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_SHORT_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_SHORT_ES: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
];

pub fn weekday_name(day: Weekday, lang: Lang) -> &'static str {
    let index = day.num_days_from_monday() as usize;
    match lang {
        Lang::En => WEEKDAYS_EN[index],
        Lang::Es => WEEKDAYS_ES[index],
    }
}

pub fn weekday_short(day: Weekday, lang: Lang) -> &'static str {
    let index = day.num_days_from_monday() as usize;
    match lang {
        Lang::En => WEEKDAYS_SHORT_EN[index],
        Lang::Es => WEEKDAYS_SHORT_ES[index],
    }
}

fn month_name(date: NaiveDate, lang: Lang) -> &'static str {
    let index = date.month0() as usize;
    match lang {
        Lang::En => MONTHS_EN[index],
        Lang::Es => MONTHS_ES[index],
    }
}

fn month_short(date: NaiveDate, lang: Lang) -> &'static str {
    let index = date.month0() as usize;
    match lang {
        Lang::En => MONTHS_SHORT_EN[index],
        Lang::Es => MONTHS_SHORT_ES[index],
    }
}

/// `Tuesday 10 February 2026` / `martes, 10 de febrero de 2026`.
pub fn date_long(date: NaiveDate, lang: Lang) -> String {
    let day = weekday_name(date.weekday(), lang);
    match lang {
        Lang::En => format!(
            "{day} {} {} {}",
            date.day(),
            month_name(date, lang),
            date.year()
        ),
        Lang::Es => format!(
            "{day}, {} de {} de {}",
            date.day(),
            month_name(date, lang),
            date.year()
        ),
    }
}

/// `10 February 2026` / `10 de febrero de 2026`.
pub fn date_plain(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{} {} {}", date.day(), month_name(date, lang), date.year()),
        Lang::Es => format!(
            "{} de {} de {}",
            date.day(),
            month_name(date, lang),
            date.year()
        ),
    }
}

/// `Tue 10 Feb` / `mar 10 feb`.
pub fn date_short(date: NaiveDate, lang: Lang) -> String {
    format!(
        "{} {} {}",
        weekday_short(date.weekday(), lang),
        date.day(),
        month_short(date, lang)
    )
}

/// `10 Feb` / `10 feb`.
pub fn day_month(date: NaiveDate, lang: Lang) -> String {
    format!("{} {}", date.day(), month_short(date, lang))
}

/// `February 2026` / `febrero de 2026`.
pub fn month_year(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{} {}", month_name(date, lang), date.year()),
        Lang::Es => format!("{} de {}", month_name(date, lang), date.year()),
    }
}

/// The five moods in words, 1 (very low) to 5 (very good).
pub fn mood_word(mood: u8, lang: Lang) -> &'static str {
    match (mood, lang) {
        (1, Lang::En) => "Very low",
        (1, Lang::Es) => "Muy mal",
        (2, Lang::En) => "Low",
        (2, Lang::Es) => "Mal",
        (3, Lang::En) => "Okay",
        (3, Lang::Es) => "Regular",
        (4, Lang::En) => "Good",
        (4, Lang::Es) => "Bien",
        (_, Lang::En) => "Very good",
        (_, Lang::Es) => "Muy bien",
    }
}

/// The suggested emotions, stored in English.
pub const EMOTIONS: [&str; 16] = [
    "calm",
    "hopeful",
    "grateful",
    "proud",
    "connected",
    "joyful",
    "tired",
    "anxious",
    "sad",
    "lonely",
    "angry",
    "ashamed",
    "guilty",
    "afraid",
    "overwhelmed",
    "numb",
];

/// An emotion's label; one typed elsewhere (not in the list) shows as it was written.
pub fn emotion_label(name: &str, lang: Lang) -> String {
    let (en, es) = match name {
        "calm" => ("calm", "en calma"),
        "hopeful" => ("hopeful", "esperanzado/a"),
        "grateful" => ("grateful", "agradecido/a"),
        "proud" => ("proud", "orgulloso/a"),
        "connected" => ("connected", "acompañado/a"),
        "joyful" => ("joyful", "alegre"),
        "tired" => ("tired", "cansado/a"),
        "anxious" => ("anxious", "ansioso/a"),
        "sad" => ("sad", "triste"),
        "lonely" => ("lonely", "solo/a"),
        "angry" => ("angry", "enfadado/a"),
        "ashamed" => ("ashamed", "avergonzado/a"),
        "guilty" => ("guilty", "culpable"),
        "afraid" => ("afraid", "con miedo"),
        "overwhelmed" => ("overwhelmed", "desbordado/a"),
        "numb" => ("numb", "insensible"),
        other => return other.to_owned(),
    };
    match lang {
        Lang::En => en.to_owned(),
        Lang::Es => es.to_owned(),
    }
}

/// A member's role ("member", "facilitator", "co-host", "service:secretary") in words.
pub fn role_label(role: &str, lang: Lang) -> String {
    let known = |role: &str| -> Option<(&'static str, &'static str)> {
        Some(match role {
            "member" => ("member", "miembro"),
            "facilitator" => ("facilitator", "facilitador/a"),
            "co-host" => ("co-host", "coanfitrión/a"),
            "secretary" => ("secretary", "secretaría"),
            "treasurer" => ("treasurer", "tesorería"),
            "chair" => ("chair", "coordinación"),
            "greeter" => ("greeter", "bienvenida"),
            _ => return None,
        })
    };
    let pick = |pair: (&'static str, &'static str)| match lang {
        Lang::En => pair.0,
        Lang::Es => pair.1,
    };
    if let Some(service) = role.strip_prefix("service:") {
        let name = known(service).map_or_else(|| service.to_owned(), |pair| pick(pair).to_owned());
        return match lang {
            Lang::En => format!("service: {name}"),
            Lang::Es => format!("servicio: {name}"),
        };
    }
    known(role).map_or_else(|| role.to_owned(), |pair| pick(pair).to_owned())
}

pub fn format_name(format: MeetingFormat, lang: Lang) -> &'static str {
    text(
        match format {
            MeetingFormat::InPerson => Key::FormatInPerson,
            MeetingFormat::Online => Key::FormatOnline,
            MeetingFormat::Hybrid => Key::FormatHybrid,
            MeetingFormat::Phone => Key::FormatPhone,
        },
        lang,
    )
}

/// Languages offered for a group's meetings.
pub const GROUP_LANGUAGES: [&str; 7] = ["es", "en", "pt", "fr", "it", "ca", "de"];

/// A language code in words (`es` → "Spanish" / "español"); unknown codes as written.
pub fn language_name(code: &str, lang: Lang) -> String {
    let (en, es) = match code {
        "es" => ("Spanish", "español"),
        "en" => ("English", "inglés"),
        "pt" => ("Portuguese", "portugués"),
        "fr" => ("French", "francés"),
        "it" => ("Italian", "italiano"),
        "ca" => ("Catalan", "catalán"),
        "de" => ("German", "alemán"),
        other => return other.to_owned(),
    };
    match lang {
        Lang::En => en.to_owned(),
        Lang::Es => es.to_owned(),
    }
}

/// "second" / "segundo", for "the second Tuesday".
pub fn nth_name(nth: Nth, lang: Lang) -> &'static str {
    match (nth, lang) {
        (Nth::First, Lang::En) => "first",
        (Nth::First, Lang::Es) => "primer",
        (Nth::Second, Lang::En) => "second",
        (Nth::Second, Lang::Es) => "segundo",
        (Nth::Third, Lang::En) => "third",
        (Nth::Third, Lang::Es) => "tercer",
        (Nth::Fourth, Lang::En) => "fourth",
        (Nth::Fourth, Lang::Es) => "cuarto",
        (Nth::Last, Lang::En) => "last",
        (Nth::Last, Lang::Es) => "último",
    }
}

/// `A`, `A and B`, `A, B and C`.
fn join_words(words: &[&str], lang: Lang) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} {} {last}", rest.join(", "), text(Key::And, lang)),
    }
}

/// A rule in words: "Every month on the second Tuesday, 10 times".
pub fn describe_rule(rule: &Rule, lang: Lang) -> String {
    let mut out = match &rule.repeat {
        Repeat::Once => return text(Key::RuleOnce, lang).to_owned(),
        Repeat::Weekly { days } => {
            let names: Vec<&str> = crate::recurrence::WEEKDAYS
                .iter()
                .zip(days)
                .filter(|(_, on)| **on)
                .map(|(day, _)| weekday_name(*day, lang))
                .collect();
            if names.is_empty() {
                return text(Key::RuleWeeklyNoDays, lang).to_owned();
            }
            fill(text(Key::RuleWeekly, lang), &[&join_words(&names, lang)])
        }
        Repeat::MonthlyWeekday { nth, weekday } => fill(
            text(Key::RuleMonthlyWeekday, lang),
            &[nth_name(*nth, lang), weekday_name(*weekday, lang)],
        ),
        Repeat::MonthlyDay { day } => fill(text(Key::RuleMonthlyDay, lang), &[&day.to_string()]),
        Repeat::Custom(rule) => fill(text(Key::RuleCustom, lang), &[rule]),
    };
    match rule.ends {
        Ends::Never => {}
        Ends::On(date) => out.push_str(&fill(
            text(Key::RuleUntil, lang),
            &[&date_plain(date, lang)],
        )),
        Ends::After(1) => out.push_str(text(Key::RuleOnceCount, lang)),
        Ends::After(count) => {
            out.push_str(&fill(text(Key::RuleCount, lang), &[&count.to_string()]))
        }
    }
    out
}

/// "in 25 min", "in 3 h" (under a day), "tomorrow", "in 2 days" (by calendar days on the
/// viewer's clock), or "happening now".
pub fn relative_until(
    now: DateTime<Utc>,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    (today, day): (NaiveDate, NaiveDate),
    lang: Lang,
) -> String {
    if now >= start && now < end {
        return text(Key::HappeningNow, lang).to_owned();
    }
    let minutes = (start - now).num_minutes();
    if minutes < 1 {
        return text(Key::StartingNow, lang).to_owned();
    }
    if minutes < 60 {
        return fill(text(Key::InMinutes, lang), &[&minutes.to_string()]);
    }
    let hours = (minutes + 30) / 60;
    if hours < 24 {
        return fill(text(Key::InHours, lang), &[&hours.to_string()]);
    }
    match (day - today).num_days() {
        ..=1 => text(Key::Tomorrow, lang).to_owned(),
        days => fill(text(Key::InDays, lang), &[&days.to_string()]),
    }
}

/// How long ago an RFC 3339 time was: "just now", "5 min ago", "3 h ago", else its date.
pub fn time_ago(at: &str, lang: Lang) -> String {
    let Ok(at) = DateTime::parse_from_rfc3339(at) else {
        return at.to_owned();
    };
    let at = at.with_timezone(&Utc);
    let now_ms = js_sys::Date::now() as i64;
    let now = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or(at);
    ago_text(at, now, lang)
}

/// [`time_ago`] with the present given (testable off the browser).
pub fn ago_text(at: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let minutes = (now - at).num_minutes();
    match minutes {
        ..1 => text(Key::JustNow, lang).to_owned(),
        1..60 => fill(text(Key::MinutesAgo, lang), &[&minutes.to_string()]),
        60..1440 => fill(text(Key::HoursAgo, lang), &[&(minutes / 60).to_string()]),
        _ => date_short(at.date_naive(), lang),
    }
}

/// An RFC 3339 time as the system shows dates and times in `lang`, in the local zone.
pub fn datetime_text(at: &str, lang: Lang) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    if date.get_time().is_nan() {
        return at.to_owned();
    }
    String::from(date.to_locale_string(lang.code(), &wasm_bindgen::JsValue::UNDEFINED))
}

/// An error from the shell in words. English messages from the core are kept (they say what
/// to change); in Spanish they follow a translated description of the kind of problem.
pub fn error_text(error: &ApiError, lang: Lang) -> String {
    let kind = match error.kind {
        ErrorKind::WrongPassphrase => return text(Key::ErrWrongPassphrase, lang).to_owned(),
        ErrorKind::Locked => return text(Key::KindLocked, lang).to_owned(),
        ErrorKind::NotFound => Key::KindNotFound,
        ErrorKind::InvalidInput => Key::KindInvalid,
        ErrorKind::Storage => Key::KindStorage,
        ErrorKind::Internal => Key::KindInternal,
        ErrorKind::Network => Key::KindNetwork,
    };
    let message = sentence(&error.message);
    match (lang, message.is_empty()) {
        (_, true) => format!("{}.", text(kind, lang)),
        (Lang::En, false) if error.kind == ErrorKind::InvalidInput => message,
        (_, false) => format!("{}: {message}", text(kind, lang)),
    }
}

/// A message as a sentence: capital first letter, final full stop.
fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{Duration, NaiveDate, TimeZone, Weekday};

    use super::*;

    #[test]
    fn both_languages_have_every_text_and_the_same_holes() {
        for key in ALL_KEYS {
            let (en, es) = (text(*key, Lang::En), text(*key, Lang::Es));
            assert!(!en.is_empty() && !es.is_empty(), "{key:?} is empty");
            for hole in ["{0}", "{1}"] {
                assert_eq!(en.contains(hole), es.contains(hole), "{key:?}: {hole}");
            }
        }
    }

    #[test]
    fn rules_in_words() {
        let second_tuesday = Rule::parse(Some("FREQ=MONTHLY;BYDAY=2TU"));
        assert_eq!(
            describe_rule(&second_tuesday, Lang::En),
            "Every month on the second Tuesday"
        );
        assert_eq!(
            describe_rule(&second_tuesday, Lang::Es),
            "Cada mes, el segundo martes"
        );
        let weekly = Rule::parse(Some("FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270101T235959"));
        assert_eq!(
            describe_rule(&weekly, Lang::En),
            "Every week on Monday and Thursday, until 1 January 2027"
        );
        let count = Rule::parse(Some("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=10"));
        assert_eq!(
            describe_rule(&count, Lang::Es),
            "Cada mes, el día 15, 10 veces"
        );
        assert_eq!(describe_rule(&Rule::once(), Lang::En), "Does not repeat");
    }

    #[test]
    fn dates_in_words() {
        let date = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap();
        assert_eq!(date_long(date, Lang::En), "Tuesday 10 February 2026");
        assert_eq!(date_long(date, Lang::Es), "martes, 10 de febrero de 2026");
        assert_eq!(date_short(date, Lang::Es), "mar 10 feb");
        assert_eq!(weekday_name(Weekday::Sun, Lang::Es), "domingo");
    }

    #[test]
    fn time_until_a_meeting() {
        let now = Utc.with_ymd_and_hms(2026, 2, 8, 18, 0, 0).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 2, 8).unwrap();
        let at = |hours: i64| {
            let start = now + Duration::hours(hours);
            let span = (start, start + Duration::minutes(90));
            relative_until(
                now,
                span,
                (today, (start + Duration::hours(1)).date_naive()),
                Lang::En,
            )
        };
        assert_eq!(at(3), "in 3 h");
        assert_eq!(at(49), "in 2 days");
        assert_eq!(at(-1), "happening now");
    }

    #[test]
    fn times_ago() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let ago = |minutes| ago_text(now - Duration::minutes(minutes), now, Lang::En);
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(5), "5 min ago");
        assert_eq!(ago(185), "3 h ago");
        assert_eq!(
            ago_text(now - Duration::minutes(5), now, Lang::Es),
            "hace 5 min"
        );
        assert!(!ago(3000).contains("ago"));
    }

    #[test]
    fn errors_in_words() {
        let error = ApiError::new(
            ErrorKind::InvalidInput,
            "a group name needs 1 to 80 characters",
        );
        assert_eq!(
            error_text(&error, Lang::En),
            "A group name needs 1 to 80 characters."
        );
        assert_eq!(
            error_text(&error, Lang::Es),
            "Revisa los datos: A group name needs 1 to 80 characters."
        );
        let wrong = ApiError::new(ErrorKind::WrongPassphrase, "");
        assert!(error_text(&wrong, Lang::Es).starts_with("Esa contraseña"));
    }
}

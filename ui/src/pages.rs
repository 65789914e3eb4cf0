//! One module per screen. Each reads the shared [`crate::app::Ui`] from context, fetches what
//! it shows through [`crate::ipc`], and says what happened through the status line.

pub mod calendar;
pub mod contacts;
pub mod devices;
pub mod first_run;
pub mod group_form;
pub mod groups;
pub mod journal;
pub mod messages;
pub mod mood_chart;
pub mod occurrence;
pub mod series_form;
pub mod settings;
pub mod sync;
pub mod sync_file;
pub mod today;
pub mod unlock;

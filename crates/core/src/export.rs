//! "Export all my data": everything the member holds, as one JSON document they can keep, read
//! or take to another tool. Nothing is left out, the journal included: it is theirs.

use serde::Serialize;

use crate::calendar::MeetingSeries;
use crate::contacts::Contact;
use crate::error::Result;
use crate::groups::{Group, Member};
use crate::journal::Entry;
use crate::profile::Profile;
use crate::store::Mutua;

#[derive(Debug, Serialize)]
pub struct Export {
    pub format: &'static str,
    pub version: u32,
    pub exported_at: String,
    pub member_id: String,
    pub profile: Profile,
    pub groups: Vec<GroupExport>,
    pub contacts: Vec<Contact>,
    pub journal: Vec<Entry>,
}

#[derive(Debug, Serialize)]
pub struct GroupExport {
    #[serde(flatten)]
    pub group: Group,
    pub members: Vec<Member>,
    pub meetings: Vec<MeetingSeries>,
}

impl Mutua {
    pub fn export(&self) -> Result<Export> {
        let mut groups = Vec::new();
        for group in self.groups(true)? {
            groups.push(GroupExport {
                members: self.members(&group.id)?,
                meetings: self.series(Some(&group.id))?,
                group,
            });
        }
        let mut journal = self.recent_entries(u32::MAX)?;
        journal.reverse();
        Ok(Export {
            format: "mutua-export",
            version: 1,
            exported_at: crate::time::now_text(),
            member_id: self.member_id.clone(),
            profile: self.profile()?,
            groups,
            contacts: self.contacts()?,
            journal,
        })
    }
}

//! Groups: what a group is, its guidelines, and who is in it with which roles.
//!
//! A group's profile and roster live in the document `group/<id>/meta`, shared with its members.
//! Archiving is a group-wide flag; leaving is the member's own act: their roster entry goes and
//! their other devices learn (through the profile document) to stop showing the group.

use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};

use crate::amjson;
use crate::error::{Error, Result};
use crate::ids::{DocId, is_valid_id, new_id};
use crate::lookup;
use crate::store::Mutua;

const INFO: &str = "info";
const GROUP_KEY: &str = "group";
const MEMBERS: &str = "members";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Peer-led, open-ended, governed by its members.
    MutualAid,
    /// Led by a professional facilitator for a planned number of sessions.
    Facilitated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    Open,
    Closed,
}

/// A member's role. Service roles ("secretary", "treasurer", "greeter") rotate among members.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Member,
    Facilitator,
    CoHost,
    Service(String),
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Role::Member => f.write_str("member"),
            Role::Facilitator => f.write_str("facilitator"),
            Role::CoHost => f.write_str("co-host"),
            Role::Service(name) => write!(f, "service:{name}"),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Role> {
        let s = s.trim();
        match s.to_lowercase().as_str() {
            "member" => Ok(Role::Member),
            "facilitator" => Ok(Role::Facilitator),
            "co-host" | "cohost" | "co_host" => Ok(Role::CoHost),
            other => match other.strip_prefix("service:") {
                Some(name) if !name.trim().is_empty() && name.len() <= 40 => {
                    Ok(Role::Service(name.trim().to_owned()))
                }
                _ => Err(Error::invalid(format!(
                    "unknown role \"{s}\": use member, facilitator, co-host, or service:NAME \
                     (for example service:secretary)"
                ))),
            },
        }
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Role, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a member fills in to create or edit a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFields {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    pub kind: GroupKind,
    /// Facilitated groups: how many sessions are planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_sessions: Option<u32>,
    pub admission: Admission,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_url: Option<String>,
    /// The group's own agreements, shown to everyone who joins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidelines: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    #[serde(flatten)]
    pub fields: GroupFields,
    #[serde(default)]
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub member_id: String,
    pub pseudonym: String,
    pub roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    pub joined_at: String,
}

impl GroupFields {
    /// An open peer-led group with only a name: what `mutua group create --name` starts from.
    pub fn named(name: impl Into<String>) -> GroupFields {
        GroupFields {
            name: name.into(),
            purpose: None,
            kind: GroupKind::MutualAid,
            planned_sessions: None,
            admission: Admission::Open,
            language: None,
            place: None,
            online_url: None,
            guidelines: None,
        }
    }

    pub fn validate(&self) -> Result<()> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(Error::invalid("a group name needs 1 to 80 characters"));
        }
        check_len("purpose", &self.purpose, 500)?;
        check_len("place", &self.place, 300)?;
        check_len("guidelines", &self.guidelines, 20_000)?;
        match (self.kind, self.planned_sessions) {
            (GroupKind::MutualAid, Some(_)) => {
                return Err(Error::invalid(
                    "planned sessions are for facilitated support groups; peer-led groups are open-ended",
                ));
            }
            (GroupKind::Facilitated, Some(n)) if n == 0 || n > 200 => {
                return Err(Error::invalid("planned sessions must be between 1 and 200"));
            }
            _ => {}
        }
        if let Some(lang) = &self.language {
            let ok = lang.len() <= 35
                && lang.split('-').enumerate().all(|(i, part)| {
                    let alpha = part.chars().all(|c| c.is_ascii_alphanumeric());
                    alpha
                        && if i == 0 {
                            (2..=3).contains(&part.len())
                        } else {
                            !part.is_empty()
                        }
                });
            if !ok {
                return Err(Error::invalid(format!(
                    "language \"{lang}\" is not a language code such as es, en or pt-BR"
                )));
            }
        }
        if let Some(url) = &self.online_url {
            check_url(url)?;
        }
        Ok(())
    }

    fn normalised(mut self) -> GroupFields {
        self.name = self.name.trim().to_owned();
        for field in [
            &mut self.purpose,
            &mut self.place,
            &mut self.online_url,
            &mut self.guidelines,
            &mut self.language,
        ] {
            if field.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *field = None;
            }
        }
        self
    }
}

pub(crate) fn check_len(what: &str, value: &Option<String>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(Error::invalid(format!(
            "the {what} is longer than {max} characters"
        ))),
        _ => Ok(()),
    }
}

/// Only web links: a link in a group must never run code or open something unexpected.
pub(crate) fn check_url(url: &str) -> Result<()> {
    let lower = url.trim().to_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty() && !url.chars().any(char::is_whitespace) && url.len() <= 2000 =>
        {
            Ok(())
        }
        _ => Err(Error::invalid(format!(
            "\"{url}\" is not a web link (https://…)"
        ))),
    }
}

impl Mutua {
    /// Creates a group with this member in it: facilitator of a facilitated group, co-host of a
    /// peer-led one (someone has to keep its settings; the role can rotate).
    pub fn create_group(&mut self, fields: GroupFields) -> Result<Group> {
        let fields = fields.normalised();
        fields.validate()?;
        let now = crate::time::now_text();
        let group = Group {
            id: new_id()?,
            fields,
            archived: false,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let me = Member {
            member_id: self.member_id.clone(),
            pseudonym: self.profile()?.pseudonym,
            roles: match group.fields.kind {
                GroupKind::Facilitated => vec![Role::Facilitator],
                GroupKind::MutualAid => vec![Role::Member, Role::CoHost],
            },
            signing_key: Some(self.identity.signing_public_hex()),
            joined_at: now,
        };
        let record = to_record(&group)?;
        let member = to_record(&me)?;
        self.change_doc(
            &DocId::GroupMeta {
                group: group.id.clone(),
            },
            |tx| {
                amjson::write_record(tx, INFO, GROUP_KEY, &record)?;
                amjson::write_record(tx, MEMBERS, &me.member_id, &member)
            },
        )?;
        Ok(group)
    }

    /// Groups this member is in (not left), archived ones only when asked.
    pub fn groups(&self, include_archived: bool) -> Result<Vec<Group>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, purpose, kind, planned_sessions, admission, language, place,
                    online_url, guidelines, archived, created_at, updated_at
             FROM groups
             WHERE id NOT IN (SELECT group_id FROM left_group) AND (?1 OR archived = 0)
             ORDER BY archived, name COLLATE NOCASE, id",
        )?;
        let rows = stmt.query_map([include_archived], group_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Finds a group by id, id prefix or name.
    pub fn find_group(&self, query: &str) -> Result<Group> {
        let all = self.groups(true)?;
        let candidates: Vec<(String, String)> = all
            .iter()
            .map(|g| (g.id.clone(), g.fields.name.clone()))
            .collect();
        let id = lookup::resolve("group", query, &candidates)?;
        all.into_iter().find(|g| g.id == id).ok_or(Error::NotFound {
            kind: "group",
            query: query.into(),
        })
    }

    pub fn update_group(&mut self, id: &str, fields: GroupFields) -> Result<Group> {
        let mut group = self.find_group(id)?;
        let fields = fields.normalised();
        fields.validate()?;
        group.fields = fields;
        group.updated_at = crate::time::now_text();
        let record = to_record(&group)?;
        self.change_doc(
            &DocId::GroupMeta {
                group: group.id.clone(),
            },
            |tx| amjson::write_record(tx, INFO, GROUP_KEY, &record),
        )?;
        Ok(group)
    }

    pub fn set_group_archived(&mut self, id: &str, archived: bool) -> Result<Group> {
        let mut group = self.find_group(id)?;
        group.archived = archived;
        group.updated_at = crate::time::now_text();
        let record = to_record(&group)?;
        self.change_doc(
            &DocId::GroupMeta {
                group: group.id.clone(),
            },
            |tx| amjson::write_record(tx, INFO, GROUP_KEY, &record),
        )?;
        Ok(group)
    }

    /// Leaves a group: this member's roster entry is removed and the group is hidden on all of
    /// the member's devices. The group's documents stay (other members' history is theirs).
    ///
    /// The departure travels with the next sync; the first remaining member's device that sees
    /// it gives the group a new key without this member's devices
    /// ([`Mutua::rotate_after_leave`]), so what is sent afterwards cannot be read with the keys
    /// this device holds. Until then this device keeps syncing the group, to deliver it.
    pub fn leave_group(&mut self, id: &str) -> Result<Group> {
        let group = self.find_group(id)?;
        let me = self.member_id.clone();
        self.change_doc(
            &DocId::GroupMeta {
                group: group.id.clone(),
            },
            |tx| amjson::delete_record(tx, MEMBERS, &me),
        )?;
        self.mark_group_left(&group.id)?;
        Ok(group)
    }

    pub fn members(&self, group_id: &str) -> Result<Vec<Member>> {
        let mut stmt = self.conn.prepare(
            "SELECT member_id, pseudonym, roles, signing_key, joined_at FROM group_member
             WHERE group_id = ?1 ORDER BY pseudonym COLLATE NOCASE, member_id",
        )?;
        let rows = stmt.query_map([group_id], |row| {
            let roles: String = row.get(2)?;
            Ok(Member {
                member_id: row.get(0)?,
                pseudonym: row.get(1)?,
                roles: serde_json::from_str(&roles).unwrap_or_default(),
                signing_key: row.get(3)?,
                joined_at: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets a member's roles (rotating service roles, naming a co-host).
    pub fn set_member_roles(
        &mut self,
        group: &str,
        member: &str,
        roles: Vec<Role>,
    ) -> Result<Member> {
        let group = self.find_group(group)?;
        let members = self.members(&group.id)?;
        let candidates: Vec<(String, String)> = members
            .iter()
            .map(|m| (m.member_id.clone(), m.pseudonym.clone()))
            .collect();
        let member_id = lookup::resolve("member", member, &candidates)?;
        let mut m = members
            .into_iter()
            .find(|m| m.member_id == member_id)
            .ok_or(Error::NotFound {
                kind: "member",
                query: member.into(),
            })?;
        let mut roles = roles;
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            roles.push(Role::Member);
        }
        m.roles = roles;
        let record = to_record(&m)?;
        self.change_doc(
            &DocId::GroupMeta {
                group: group.id.clone(),
            },
            |tx| amjson::write_record(tx, MEMBERS, &m.member_id, &record),
        )?;
        Ok(m)
    }
}

fn group_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Group> {
    let kind: String = row.get(3)?;
    let admission: String = row.get(5)?;
    Ok(Group {
        id: row.get(0)?,
        fields: GroupFields {
            name: row.get(1)?,
            purpose: row.get(2)?,
            kind: if kind == "facilitated" {
                GroupKind::Facilitated
            } else {
                GroupKind::MutualAid
            },
            planned_sessions: row.get(4)?,
            admission: if admission == "closed" {
                Admission::Closed
            } else {
                Admission::Open
            },
            language: row.get(6)?,
            place: row.get(7)?,
            online_url: row.get(8)?,
            guidelines: row.get(9)?,
        },
        archived: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

pub(crate) fn to_record<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::invalid(e.to_string()))
}

fn kind_text(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::MutualAid => "mutual_aid",
        GroupKind::Facilitated => "facilitated",
    }
}

/// Projects the group's profile row (`touched` says it changed).
pub(crate) fn project_info(
    tx: &Transaction<'_>,
    group_id: &str,
    doc: &automerge::Automerge,
) -> Result<()> {
    tx.execute("DELETE FROM groups WHERE id = ?1", [group_id])?;
    let group = amjson::read_record(doc, INFO, GROUP_KEY)
        .and_then(|v| serde_json::from_value::<Group>(v).ok())
        .filter(|g| g.fields.validate().is_ok());
    if let Some(g) = group {
        let f = &g.fields;
        tx.execute(
            "INSERT INTO groups (id, name, purpose, kind, planned_sessions, admission, language,
                                 place, online_url, guidelines, archived, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                group_id,
                f.name,
                f.purpose,
                kind_text(f.kind),
                f.planned_sessions,
                if f.admission == Admission::Closed {
                    "closed"
                } else {
                    "open"
                },
                f.language,
                f.place,
                f.online_url,
                f.guidelines,
                g.archived,
                g.created_at,
                g.updated_at
            ],
        )?;
    }
    Ok(())
}

/// Projects one roster entry.
pub(crate) fn project_member(
    tx: &Transaction<'_>,
    group_id: &str,
    doc: &automerge::Automerge,
    member_id: &str,
) -> Result<()> {
    tx.execute(
        "DELETE FROM group_member WHERE group_id = ?1 AND member_id = ?2",
        [group_id, member_id],
    )?;
    let member = amjson::read_record(doc, MEMBERS, member_id)
        .and_then(|v| serde_json::from_value::<Member>(v).ok())
        .filter(|m| m.member_id == member_id && is_valid_id(member_id));
    if let Some(m) = member {
        let roles = serde_json::to_string(&m.roles).map_err(|e| Error::invalid(e.to_string()))?;
        tx.execute(
            "INSERT INTO group_member (group_id, member_id, pseudonym, roles, signing_key, joined_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![group_id, member_id, m.pseudonym, roles, m.signing_key, m.joined_at],
        )?;
    }
    Ok(())
}

pub(crate) fn member_keys(doc: &automerge::Automerge) -> Vec<String> {
    amjson::record_keys(doc, MEMBERS)
}

pub(crate) const COLLECTION_INFO: &str = INFO;
pub(crate) const COLLECTION_MEMBERS: &str = MEMBERS;

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn circle() -> GroupFields {
        GroupFields {
            name: "Tuesday circle".into(),
            purpose: Some("Peer support for carers".into()),
            kind: GroupKind::MutualAid,
            planned_sessions: None,
            admission: Admission::Open,
            language: Some("es".into()),
            place: Some("Community hall, room 2".into()),
            online_url: None,
            guidelines: Some("What is said here stays here.".into()),
        }
    }

    #[test]
    fn create_edit_archive_leave() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        let g = m.create_group(circle()).expect("create");
        assert_eq!(m.groups(false).expect("list").len(), 1);
        let members = m.members(&g.id).expect("members");
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].roles, vec![Role::Member, Role::CoHost]);

        let mut fields = circle();
        fields.name = "Tuesday carers' circle".into();
        m.update_group("tuesday circle", fields)
            .expect("edit by name");
        assert_eq!(
            m.find_group(&g.id[..6]).expect("prefix").fields.name,
            "Tuesday carers' circle"
        );

        m.set_group_archived(&g.id, true).expect("archive");
        assert!(m.groups(false).expect("list").is_empty());
        assert_eq!(m.groups(true).expect("list").len(), 1);

        m.leave_group(&g.id).expect("leave");
        assert!(m.groups(true).expect("list").is_empty());
        assert!(m.members(&g.id).expect("members").is_empty());
    }

    #[test]
    fn bad_groups_are_refused_and_change_nothing() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        let mut bad = circle();
        bad.planned_sessions = Some(8);
        assert!(
            m.create_group(bad).is_err(),
            "peer-led groups have no planned sessions"
        );
        let mut bad = circle();
        bad.online_url = Some("javascript:alert(1)".into());
        assert!(m.create_group(bad).is_err());
        let mut bad = circle();
        bad.name = "   ".into();
        assert!(m.create_group(bad).is_err());
        assert!(m.groups(true).expect("list").is_empty());
    }

    #[test]
    fn roles_parse_and_print() {
        for text in ["member", "facilitator", "co-host", "service:secretary"] {
            assert_eq!(text.parse::<Role>().expect("parse").to_string(), text);
        }
        assert!("boss".parse::<Role>().is_err());
    }
}

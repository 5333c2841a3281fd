//! iCalendar sync with OTAs (issue 14 item 7): a room's (or a room type's) unavailable nights
//! as an .ics feed behind a secret-token URL, and an OTA's feed imported as hard blocks.
//!
//! The feed covers 30 nights back to 365 ahead: a room's nights taken by a booking (已预订),
//! closed by staff (暂停接待) or blocked by another channel (不可预订 — republished, so two OTAs
//! never sell the same night); a room type's nights on which no room of the type is free.
//! An import replaces the earlier blocks of the same source on that room with the feed's
//! nights from today on; a night a booking (or another source) already holds is not taken
//! and is returned as a conflict for staff to resolve, and the conflict is audited; a night a
//! booking holds also alerts the staff who make bookings, once per conflict. Imports on a
//! schedule from an OTA's address are [`super::ical_sync`]'s.

use crate::desk_effects::staff_recipient;
use crate::notify::Notification;
use crate::{App, AppError, Principal};
use jiff::civil::Date;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::calendar::china_time_zone;
use tripdesk_domain::identity::{Permission, Role};
use tripdesk_ical::{
    blocked_nights, parse_feed, ranges_from_nights, render_feed, BlockReason, Feed, ImportedBlock,
};
use tripdesk_store::{FeedScope, IcalFeed, NewAuditEntry, NightUse, Room, Tx, User, UserFilter};
use uuid::Uuid;

/// How far back and ahead a feed reaches, in nights.
pub const FEED_PAST_NIGHTS: i64 = 30;
pub const FEED_FUTURE_NIGHTS: i64 = 365;

/// The prefix of feed tokens (`ics_…`, 43 characters after it).
pub const FEED_TOKEN_PREFIX: &str = "ics_";

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Events read from the feed.
    pub events: usize,
    /// Nights from today on that the feed blocks.
    pub nights: usize,
    /// Of those, the nights something else already holds (a booking, another source).
    pub conflicts: Vec<jiff::civil::Date>,
}

pub(crate) fn ics_error(e: tripdesk_ical::IcsError) -> AppError {
    let message = match e.line() {
        Some(line) => format!("line {line}: {e}"),
        None => e.to_string(),
    };
    AppError::field("body", e.code(), message)
}

/// A source name for imported blocks: 1–40 characters of a–z, 0–9, `.`, `_`, `-`.
pub(crate) fn check_source(source: &str) -> Result<(), AppError> {
    let ok = (1..=40).contains(&source.len())
        && source.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(AppError::field(
            "source",
            "invalid",
            "a source is 1 to 40 characters of a-z, 0-9, '.', '_' and '-' (airbnb, booking.com)",
        ))
    }
}

impl App {
    /// Makes a secret-token feed URL for a room or a room type (needs `manage_catalog`;
    /// audited). Returns the feed and its token, shown once.
    pub async fn create_ical_feed(
        &self,
        principal: &Principal,
        scope: FeedScope,
    ) -> Result<(IcalFeed, String), AppError> {
        principal.require(Permission::ManageCatalog)?;
        let mut tx = self.store.write().await?;
        match scope {
            FeedScope::Room(id) => {
                tx.get_room(id).await?.ok_or(AppError::NotFound("room"))?;
            }
            FeedScope::RoomType(id) => {
                tx.get_room_type(id)
                    .await?
                    .ok_or(AppError::NotFound("room type"))?;
            }
        }
        let token = crate::secrets::new_token(FEED_TOKEN_PREFIX);
        let feed = IcalFeed {
            id: Uuid::now_v7(),
            scope,
            token_hash: crate::secrets::token_hash(&token),
            created_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            created_at: self.now(),
        };
        tx.insert_ical_feed(&feed).await?;
        let (kind, of) = match scope {
            FeedScope::Room(id) => ("room", id),
            FeedScope::RoomType(id) => ("room_type", id),
        };
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogFeedCreate,
            "ical_feed",
            Some(feed.id.to_string()),
            json!({ "scope": kind, "of": of }),
        )
        .await?;
        tx.commit().await?;
        Ok((feed, token))
    }

    /// The .ics text of the feed whose URL token is `token` (no sign-in: the token is the
    /// credential). Not found for an unknown token.
    pub async fn ical_feed_text(&self, token: &str) -> Result<String, AppError> {
        let mut tx = self.store.read().await?;
        let feed = tx
            .get_ical_feed_by_token_hash(&crate::secrets::token_hash(token))
            .await?
            .ok_or(AppError::NotFound("feed"))?;
        let today = self.today();
        let from = today
            .checked_sub(jiff::Span::new().days(FEED_PAST_NIGHTS))
            .unwrap_or(today);
        let until = today
            .checked_add(jiff::Span::new().days(FEED_FUTURE_NIGHTS))
            .unwrap_or(today);
        let (property, rooms_of_scope, name, prefix) = match feed.scope {
            FeedScope::Room(id) => {
                let room = tx.get_room(id).await?.ok_or(AppError::NotFound("feed"))?;
                (
                    room.property_id,
                    vec![room.id],
                    format!("房间 {}", room.label),
                    format!("room-{id}"),
                )
            }
            FeedScope::RoomType(id) => {
                let rt = tx
                    .get_room_type(id)
                    .await?
                    .ok_or(AppError::NotFound("feed"))?;
                let rooms: Vec<Uuid> = tx
                    .list_rooms(Some(rt.property_id), 10_000, 0)
                    .await?
                    .into_iter()
                    .filter(|r| r.active && r.room_type_id == id)
                    .map(|r| r.id)
                    .collect();
                (
                    rt.property_id,
                    rooms,
                    format!("房型 {}", rt.name),
                    format!("room-type-{id}"),
                )
            }
        };
        let nights = tx.room_nights(property, from, until).await?;
        let mut ranges = Vec::new();
        match feed.scope {
            FeedScope::Room(room) => {
                for (reason, tag) in [
                    (BlockReason::Booked, "booked"),
                    (BlockReason::Closed, "closed"),
                    (BlockReason::Unavailable, "blocked"),
                ] {
                    let of_reason = nights.iter().filter(|n| {
                        n.room_id == room
                            && matches!(
                                (&n.used_by, reason),
                                (NightUse::Booking(_), BlockReason::Booked)
                                    | (NightUse::Closed { .. }, BlockReason::Closed)
                                    | (NightUse::Blocked { .. }, BlockReason::Unavailable)
                            )
                    });
                    ranges.extend(ranges_from_nights(
                        of_reason.map(|n| n.night),
                        reason,
                        &format!("{prefix}-{tag}"),
                    ));
                }
            }
            FeedScope::RoomType(_) => {
                let mut taken: HashMap<jiff::civil::Date, BTreeSet<Uuid>> = HashMap::new();
                for n in nights
                    .iter()
                    .filter(|n| rooms_of_scope.contains(&n.room_id))
                {
                    taken.entry(n.night).or_default().insert(n.room_id);
                }
                let full = taken
                    .into_iter()
                    .filter(|(_, rooms)| {
                        !rooms_of_scope.is_empty() && rooms.len() >= rooms_of_scope.len()
                    })
                    .map(|(night, _)| night);
                ranges.extend(ranges_from_nights(full, BlockReason::Unavailable, &prefix));
            }
        }
        ranges.sort_by_key(|r| r.start);
        render_feed(&Feed {
            name: &name,
            stamp: self.now(),
            ranges: &ranges,
        })
        .map_err(|e| AppError::Internal(format!("rendering a feed: {e}")))
    }

    /// Imports an OTA's .ics feed for a room as hard blocks from `source` (needs
    /// `manage_catalog`; audited, conflicts named in the audit entry; a night a booking
    /// holds alerts the staff who make bookings, once).
    pub async fn import_ical(
        &self,
        principal: &Principal,
        room_id: Uuid,
        source: &str,
        text: &str,
    ) -> Result<ImportOutcome, AppError> {
        principal.require(Permission::ManageCatalog)?;
        check_source(source)?;
        let blocks = parse_feed(text, &china_time_zone()).map_err(ics_error)?;
        let mut tx = self.store.write().await?;
        let outcome = self
            .import_blocks(
                &mut *tx,
                ImportBy::Staff(principal),
                room_id,
                source,
                &blocks,
            )
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Replaces `source`'s blocks on the room with the nights `blocks` hold from today on, in
    /// the caller's transaction; notes the nights a booking holds as conflicts and alerts
    /// staff of the new ones (see [`App::alert_block_conflicts`]). Audited when staff import,
    /// and when a subscription's import changed the blocks or found a new conflict (a poll
    /// that finds the feed as it was is not a change).
    pub(crate) async fn import_blocks(
        &self,
        tx: &mut dyn Tx,
        by: ImportBy<'_>,
        room_id: Uuid,
        source: &str,
        blocks: &[ImportedBlock],
    ) -> Result<ImportOutcome, AppError> {
        let today = self.today();
        let until = today
            .checked_add(jiff::Span::new().days(FEED_FUTURE_NIGHTS))
            .unwrap_or(today);
        let nights: Vec<Date> = blocked_nights(blocks, today, until).into_iter().collect();
        let room = tx
            .get_room(room_id)
            .await?
            .ok_or(AppError::NotFound("room"))?;
        let used_by = NightUse::Blocked {
            source: source.to_string(),
        };
        let before: BTreeSet<Date> = tx
            .room_nights(room.property_id, today, until)
            .await?
            .into_iter()
            .filter(|n| n.room_id == room_id && n.used_by == used_by)
            .map(|n| n.night)
            .collect();
        let conflicts = tx.replace_blocks(room_id, &used_by, &nights).await?;
        // Which booking holds each conflicting night (another source's or a closure's night
        // is a conflict too, but no double booking: an OTA republishing our feed).
        let booked: Vec<(Date, Uuid)> = match (conflicts.first(), conflicts.last()) {
            (Some(first), Some(last)) => {
                let end = last.checked_add(jiff::Span::new().days(1)).unwrap_or(*last);
                tx.room_nights(room.property_id, *first, end)
                    .await?
                    .into_iter()
                    .filter(|n| n.room_id == room_id && conflicts.contains(&n.night))
                    .filter_map(|n| match n.used_by {
                        NightUse::Booking(b) => Some((n.night, b)),
                        _ => None,
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let new = tx
            .note_block_conflicts(room_id, source, &booked, self.now())
            .await?;
        let alerted = self.alert_block_conflicts(tx, &room, source, &new).await?;
        if !conflicts.is_empty() {
            tracing::warn!(%room_id, source, conflicts = conflicts.len(), booked = booked.len(), "an imported calendar blocks nights already taken");
        }
        let after: BTreeSet<Date> = nights
            .iter()
            .filter(|n| !conflicts.contains(n))
            .copied()
            .collect();
        let summary = json!({
            "source": source,
            "events": blocks.len(),
            "nights": nights.len(),
            "added": after.difference(&before).count(),
            "removed": before.difference(&after).count(),
            "conflicts": conflicts.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "alerted": alerted,
        });
        match by {
            ImportBy::Staff(principal) => {
                self.audit(
                    tx,
                    principal,
                    AuditAction::CatalogBlocksImport,
                    "room",
                    Some(room_id.to_string()),
                    summary,
                )
                .await?;
            }
            ImportBy::Subscription(id) if before != after || !new.is_empty() => {
                let mut summary = summary;
                summary["subscription"] = json!(id);
                self.append_audit(
                    tx,
                    &NewAuditEntry {
                        id: Uuid::now_v7(),
                        at: self.now(),
                        actor_id: None,
                        actor_name: format!("ical-sync@{}", self.node()),
                        action: AuditAction::CatalogBlocksImport.code().into(),
                        entity_type: "room".into(),
                        entity_id: Some(room_id.to_string()),
                        summary: summary.to_string(),
                    },
                )
                .await?;
            }
            ImportBy::Subscription(_) => {}
        }
        Ok(ImportOutcome {
            events: blocks.len(),
            nights: nights.len(),
            conflicts,
        })
    }

    /// Tells the staff who make bookings, through the bell (and email when it goes out),
    /// that an OTA blocks nights a booking holds — one alert per booking with its nights,
    /// linking the booking. `new` are the conflicts not alerted before (the caller noted
    /// them in its transaction, so a conflict alerts once however often the feed is read).
    /// Returns the messages queued.
    pub(crate) async fn alert_block_conflicts(
        &self,
        tx: &mut dyn Tx,
        room: &Room,
        source: &str,
        new: &[(Date, Uuid)],
    ) -> Result<usize, AppError> {
        if new.is_empty() {
            return Ok(0);
        }
        let mut people: Vec<User> = Vec::new();
        for role in Role::ALL
            .into_iter()
            .filter(|r| r.grants().contains(&Permission::MakeBookings))
        {
            for u in tx
                .list_users(&UserFilter {
                    role: Some(role),
                    limit: 500,
                    ..Default::default()
                })
                .await?
            {
                if u.disabled_at.is_none() && !people.iter().any(|p| p.id == u.id) {
                    people.push(u);
                }
            }
        }
        let property = tx
            .get_property(room.property_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        let mut by_booking: Vec<(Uuid, Vec<Date>)> = Vec::new();
        for (night, booking) in new {
            match by_booking.iter_mut().find(|(b, _)| b == booking) {
                Some((_, nights)) => nights.push(*night),
                None => by_booking.push((*booking, vec![*night])),
            }
        }
        let mut batch = Vec::new();
        for (booking_id, mut nights) in by_booking {
            nights.sort();
            let number = tx
                .get_booking(booking_id)
                .await?
                .and_then(|b| b.confirmation_no)
                .unwrap_or_else(|| booking_id.simple().to_string()[..8].to_uppercase());
            let mut vars = BTreeMap::new();
            vars.insert("property".to_string(), property.clone());
            vars.insert("room".to_string(), room.label.clone());
            vars.insert("source".to_string(), source.to_string());
            vars.insert(
                "nights".to_string(),
                nights
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            vars.insert("booking_no".to_string(), number);
            vars.insert("link".to_string(), format!("/bookings/{booking_id}"));
            batch.extend(people.iter().map(|u| Notification {
                template_key: BLOCK_CONFLICT_TEMPLATE.to_string(),
                recipient: staff_recipient(u),
                vars: vars.clone(),
                related: Some(("booking".to_string(), booking_id.to_string())),
                emergency: false,
                attachments: Vec::new(),
            }));
        }
        self.enqueue_alerts(tx, &batch).await
    }
}

/// Who imports: a person (audited as them), or a subscription's scheduled fetch.
#[derive(Clone, Copy)]
pub(crate) enum ImportBy<'a> {
    Staff(&'a Principal),
    Subscription(Uuid),
}

/// The template of the alert that an OTA blocks nights a booking holds.
pub const BLOCK_CONFLICT_TEMPLATE: &str = "booking.ota_conflict";

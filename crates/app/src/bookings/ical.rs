//! iCalendar sync with OTAs (issue 14 item 7): a room's (or a room type's) unavailable nights
//! as an .ics feed behind a secret-token URL, and an OTA's feed imported as hard blocks.
//!
//! The feed covers 30 nights back to 365 ahead: a room's nights taken by a booking (已预订),
//! closed by staff (暂停接待) or blocked by another channel (不可预订 — republished, so two OTAs
//! never sell the same night); a room type's nights on which no room of the type is free.
//! An import replaces the earlier blocks of the same source on that room with the feed's
//! nights from today on; a night a booking (or another source) already holds is not taken
//! and is returned as a conflict for staff to resolve, and the conflict is audited.

use crate::{App, AppError, Principal};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::calendar::china_time_zone;
use tripdesk_domain::identity::Permission;
use tripdesk_ical::{
    blocked_nights, parse_feed, ranges_from_nights, render_feed, BlockReason, Feed,
};
use tripdesk_store::{FeedScope, IcalFeed, NightUse};
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

fn ics_error(e: tripdesk_ical::IcsError) -> AppError {
    let message = match e.line() {
        Some(line) => format!("line {line}: {e}"),
        None => e.to_string(),
    };
    AppError::field("body", e.code(), message)
}

/// A source name for imported blocks: 1–40 characters of a–z, 0–9, `.`, `_`, `-`.
fn check_source(source: &str) -> Result<(), AppError> {
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
    /// `manage_catalog`; audited, conflicts named in the audit entry).
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
        let today = self.today();
        let until = today
            .checked_add(jiff::Span::new().days(FEED_FUTURE_NIGHTS))
            .unwrap_or(today);
        let nights: Vec<jiff::civil::Date> =
            blocked_nights(&blocks, today, until).into_iter().collect();
        let mut tx = self.store.write().await?;
        tx.get_room(room_id)
            .await?
            .ok_or(AppError::NotFound("room"))?;
        let conflicts = tx
            .replace_blocks(
                room_id,
                &NightUse::Blocked {
                    source: source.to_string(),
                },
                &nights,
            )
            .await?;
        if !conflicts.is_empty() {
            tracing::warn!(%room_id, source, conflicts = conflicts.len(), "an imported calendar blocks nights already taken");
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogBlocksImport,
            "room",
            Some(room_id.to_string()),
            json!({
                "source": source,
                "events": blocks.len(),
                "nights": nights.len(),
                "conflicts": conflicts.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(ImportOutcome {
            events: blocks.len(),
            nights: nights.len(),
            conflicts,
        })
    }
}

//! Sending the pre-trip documents, the traveler's link, and the receipt they confirm.
//!
//! **One message.** [`App::send_trip_documents`] (staff: 发送行前资料) builds the document as
//! the booking stands, hashes it, chooses the channel by the domain's rule — the customer's
//! preferred channel (`customers.preferred_channel`, else their notification preference) when
//! the outbox can deliver on it and they have an address there, else email, recording why —
//! and in one transaction enqueues the [`DOCUMENTS_TEMPLATE`] message with the links, records
//! the sending (channel, preferred, reason, hash, message) and appends the audit entry. Email
//! is today the only channel that reaches a customer; a customer without an email address
//! gets nothing and staff are told (`documents.no_channel`).
//!
//! **The link.** `/trip/<base64url(1 ‖ sending id ‖ tag)>`, the tag the vault's link HMAC
//! for purpose `bookings.documents.v1` (the scheme of `public_desk`'s tracking and survey
//! links: no secret stored, 128-bit tags compared in constant time). It shows the document as
//! the booking stands *now*, so a traveler holding an older link still reads what is true;
//! it opens while the booking is live and until 30 days after the trip
//! (`tripdesk_domain::bookings::documents::link_open`).
//!
//! **Receipt.** The traveler confirms from the page (a POST, never a GET): the sending's
//! `received_at` is set once by a conditional UPDATE, audited as the traveler
//! (`booking.documents_received`); a second confirmation records nothing.
//!
//! **Outdated.** The booking page compares the hash stored with the last sending with the
//! hash of the document now: whatever changed the booking (dates, party, the departure's guide
//! or meeting point, the hotel's phone, a traveler's name) shows 内容已变更，请重新发送.

use super::content::content_hash;
use super::*;
use crate::auth::Credential;
use crate::notify::{Notification, Recipient};
use crate::public_desk::{decode, encode, TAG, VERSION};
use jiff::Timestamp;
use serde_json::json;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::documents::{
    choose_channel, freshness, link_open, may_send, CustomerChannel, DocumentError, Freshness,
};
use tripdesk_store::{Booking, DocumentSend, LineItem, MessageState, Tx};
use tripdesk_vault::KeyRing;

/// The template of the message that carries the documents' links.
pub const DOCUMENTS_TEMPLATE: &str = "booking.documents";
const LINK_PURPOSE: &str = "bookings.documents.v1";
/// The channels the outbox delivers to a customer today, in order of choice.
const DELIVERABLE: [CustomerChannel; 1] = [CustomerChannel::Email];

/// A sending as staff see it.
#[derive(Debug, Clone)]
pub struct SentDocuments {
    pub send: DocumentSend,
    /// Where its message stands in the outbox (`None` once pruned or erased).
    pub message_state: Option<MessageState>,
    /// The traveler's link token (`/trip/<token>`), for staff to hand over another way.
    pub token: String,
}

/// The documents of a booking beside the booking: whether they were sent, and whether what
/// was sent is still what the booking gives.
#[derive(Debug, Clone)]
pub struct DocumentsStatus {
    /// SHA-256 of the document the booking gives now.
    pub content_hash: String,
    pub freshness: Freshness,
    /// The last sending.
    pub last: Option<SentDocuments>,
    /// Why the documents cannot be sent now; `None` when they can.
    pub refusal: Option<DocumentError>,
}

/// What the traveler's link opens.
#[derive(Debug, Clone)]
pub struct TravelerDocuments {
    pub document: Document,
    pub send: DocumentSend,
}

/// The traveler's page of a link token under `base_url` (`…/trip/<token>`); the PDF is at
/// `…/document.pdf` and the receipt at `…/received` under it.
pub fn trip_link(base_url: &str, token: &str) -> String {
    crate::public_desk::link(base_url, "trip", token)
}

fn trip_token(keys: &KeyRing, send_id: Uuid) -> String {
    let body = [&[VERSION][..], send_id.as_bytes()].concat();
    let tag = keys.link_mac(LINK_PURPOSE, &body);
    encode(&[&body, &tag[..TAG]])
}

/// The sending a link token names, if its signature holds.
fn verify_trip_token(keys: &KeyRing, token: &str) -> Option<Uuid> {
    let bytes = decode(token, 1 + 16 + TAG)?;
    let (body, tag) = bytes.split_at(17);
    keys.verify_link_mac(LINK_PURPOSE, body, tag)
        .then(|| Uuid::from_slice(&body[1..]).ok())
        .flatten()
}

/// A refusal of the documents' rules as the one conflict answer (409, the rule's code; the
/// public pages turn the link's refusals into 410).
fn refused(e: DocumentError) -> AppError {
    AppError::Conflict {
        code: e.code(),
        message: e.to_string(),
        field: None,
    }
}

impl App {
    /// The principal of a traveler acting through their documents link: no user, no role.
    pub fn trip_link_principal(send_id: Uuid) -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "trip_link".into(),
            display_name: "客户（行前资料链接）".into(),
            roles: Vec::new(),
            department_id: None,
            locale: "zh-CN".into(),
            credential: Credential::TripLink { send_id },
        }
    }

    async fn sent_view(
        &self,
        tx: &mut dyn Tx,
        send: DocumentSend,
    ) -> Result<SentDocuments, AppError> {
        let message_state = match send.message_id {
            Some(m) => tx.get_message(m).await?.map(|m| m.state),
            None => None,
        };
        Ok(SentDocuments {
            token: trip_token(self.vault()?, send.id),
            send,
            message_state,
        })
    }

    /// Whether a booking's documents were sent, received, and are still current (needs
    /// `view_bookings`).
    pub async fn documents_status(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<DocumentsStatus, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let booking = tx
            .get_booking(id)
            .await?
            .ok_or(AppError::NotFound("booking"))?;
        let document = self.build_trip_document(&mut *tx, &booking).await?;
        let hash = content_hash(&document);
        let last = match tx.list_document_sends(id, 1).await?.pop() {
            Some(s) => Some(self.sent_view(&mut *tx, s).await?),
            None => None,
        };
        Ok(DocumentsStatus {
            freshness: freshness(last.as_ref().map(|l| l.send.content_hash.as_str()), &hash),
            content_hash: hash,
            last,
            refusal: may_send(booking.state, booking.ends_on, self.today()).err(),
        })
    }

    /// Sends the pre-trip documents of a confirmed booking to its customer (needs
    /// `make_bookings`): one message through the outbox with the links to the page, the PDF
    /// and the receipt, the sending recorded with the content's hash, audited — in one
    /// transaction. `base_url` is the address customers reach this server at. Refused with
    /// `documents.not_confirmed`, `documents.trip_over`, `documents.no_channel` (no email
    /// address) or `documents.template_missing` (an administrator deleted the template).
    pub async fn send_trip_documents(
        &self,
        principal: &Principal,
        id: Uuid,
        base_url: &str,
    ) -> Result<SentDocuments, AppError> {
        principal.require(Permission::MakeBookings)?;
        let keys = self.vault()?;
        let mut tx = self.store.write().await?;
        let booking = self.load_for_step(&mut *tx, id).await?;
        may_send(booking.state, booking.ends_on, self.today()).map_err(refused)?;
        let document = self.build_trip_document(&mut *tx, &booking).await?;
        let hash = content_hash(&document);
        let customer = tx
            .get_customer(booking.customer_id)
            .await?
            .filter(|c| c.erased_at.is_none());
        let email = match &customer {
            Some(_) => {
                self.customer_email(&mut *tx, Some(booking.customer_id))
                    .await?
            }
            None => None,
        };
        let preference = tx
            .get_preference(&format!("customer:{}", booking.customer_id))
            .await?;
        let preferred = customer
            .as_ref()
            .and_then(|c| c.preferred_channel.clone())
            .or_else(|| preference.and_then(|p| p.channel))
            .and_then(|c| CustomerChannel::parse(&c));
        let choice = choose_channel(preferred, &DELIVERABLE, |c| {
            c == CustomerChannel::Email && email.is_some()
        })
        .map_err(refused)?;
        let customer = customer.expect("a reachable customer exists");

        let send_id = Uuid::now_v7();
        let token = trip_token(keys, send_id);
        let page = trip_link(base_url, &token);
        let vars = BTreeMap::from([
            ("name".to_string(), customer.name.clone()),
            (
                "booking_no".to_string(),
                booking.confirmation_no.clone().unwrap_or_default(),
            ),
            (
                "product".to_string(),
                self.booked_what(&mut *tx, &booking).await?,
            ),
            ("title".to_string(), document.title.clone()),
            (
                "date".to_string(),
                format!("{} – {}", booking.starts_on, booking.ends_on),
            ),
            (
                "key_facts".to_string(),
                self.key_facts(&mut *tx, &booking).await?,
            ),
            ("link".to_string(), page.clone()),
            ("pdf".to_string(), format!("{page}/document.pdf")),
            ("confirm".to_string(), format!("{page}/received")),
            ("hotline".to_string(), super::EMERGENCY_HOTLINE.to_string()),
        ]);
        let ids = self
            .enqueue_notifications(
                &mut *tx,
                &[Notification {
                    template_key: DOCUMENTS_TEMPLATE.into(),
                    recipient: Recipient {
                        preference_key: Some(format!("customer:{}", customer.id)),
                        customer_id: Some(customer.id),
                        email,
                        user_id: None,
                        locale: customer.preferred_language.clone(),
                    },
                    vars,
                    related: Some(("booking".into(), booking.id.to_string())),
                    emergency: false,
                    attachments: Vec::new(),
                }],
            )
            .await
            .map_err(|e| match e {
                AppError::Validation(fields) if fields.iter().any(|f| f.field == "template_key") => {
                    AppError::Conflict {
                        code: "documents.template_missing",
                        message: format!(
                            "the {DOCUMENTS_TEMPLATE} template was deleted: restore it under the notification templates"
                        ),
                        field: None,
                    }
                }
                other => other,
            })?;
        let send = DocumentSend {
            id: send_id,
            booking_id: booking.id,
            sent_at: self.now(),
            sent_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            channel: choice.channel.as_str().into(),
            preferred: choice.preferred.map(|c| c.as_str().to_string()),
            fallback: choice.fallback.map(|f| f.as_str().to_string()),
            content_hash: hash,
            message_id: ids.first().copied(),
            received_at: None,
        };
        tx.insert_document_send(&send).await?;
        self.audit_step(
            &mut *tx,
            principal,
            AuditAction::BookingDocumentsSent,
            &booking,
            json!({
                "send": send.id,
                "channel": send.channel,
                "preferred": send.preferred,
                "fallback": send.fallback,
                "content_hash": send.content_hash,
                "message": send.message_id,
            }),
        )
        .await?;
        let view = SentDocuments {
            message_state: Some(MessageState::Queued),
            token,
            send,
        };
        tx.commit().await?;
        Ok(view)
    }

    /// The facts the message repeats so the traveler sees them without opening anything:
    /// each tour's meeting time and place, each stay's check-in.
    async fn key_facts(&self, tx: &mut dyn Tx, booking: &Booking) -> Result<String, AppError> {
        let mut facts = Vec::new();
        for line in &booking.lines {
            match &line.item {
                LineItem::Seats { departure_id, .. } => {
                    if let Some(d) = tx.get_departure(*departure_id).await? {
                        let d = d.departure;
                        facts.push(format!(
                            "集合时间：{} {}　集合地点：{}",
                            d.date,
                            if d.meeting_time.is_empty() {
                                "（另行通知）"
                            } else {
                                &d.meeting_time
                            },
                            if d.meeting_point.is_empty() {
                                "（另行通知）"
                            } else {
                                &d.meeting_point
                            },
                        ));
                    }
                }
                LineItem::Room { room_id, stay } => {
                    if let Some(room) = tx.get_room(*room_id).await? {
                        if let Some(p) = tx.get_property(room.property_id).await? {
                            facts.push(format!(
                                "入住：{} {} 起，{}（{}）",
                                stay.check_in(),
                                p.check_in_time,
                                p.name,
                                p.address
                            ));
                        }
                    }
                }
            }
        }
        Ok(facts.join("\n"))
    }

    /// The sending a traveler's link names and its booking, if the link verifies and may
    /// still open: not found for a forged or unknown link; `documents.booking_closed` or
    /// `documents.link_expired` otherwise.
    async fn trip_of(
        &self,
        tx: &mut dyn Tx,
        token: &str,
    ) -> Result<(DocumentSend, Booking), AppError> {
        let send_id =
            verify_trip_token(self.vault()?, token).ok_or(AppError::NotFound("documents"))?;
        let send = tx
            .get_document_send(send_id)
            .await?
            .ok_or(AppError::NotFound("documents"))?;
        let booking = tx
            .get_booking(send.booking_id)
            .await?
            .ok_or(AppError::NotFound("documents"))?;
        link_open(booking.state, booking.ends_on, self.today()).map_err(refused)?;
        Ok((send, booking))
    }

    /// What a traveler's link shows: the documents as the booking stands now, and the
    /// sending (with its receipt). No sign-in: the link's signature is the credential.
    pub async fn open_trip_documents(&self, token: &str) -> Result<TravelerDocuments, AppError> {
        let mut tx = self.store.read().await?;
        let (send, booking) = self.trip_of(&mut *tx, token).await?;
        let document = self.build_trip_document(&mut *tx, &booking).await?;
        Ok(TravelerDocuments { document, send })
    }

    /// The traveler confirms receiving the documents: recorded once (the first confirmation's
    /// time), audited as the traveler in the same transaction. Returns when it was recorded
    /// and whether this request recorded it.
    pub async fn confirm_documents_received(
        &self,
        token: &str,
    ) -> Result<(Timestamp, bool), AppError> {
        let mut tx = self.store.write().await?;
        let (send, booking) = self.trip_of(&mut *tx, token).await?;
        let now = self.now();
        if !tx.mark_documents_received(send.id, now).await? {
            let at = tx
                .get_document_send(send.id)
                .await?
                .and_then(|s| s.received_at)
                .unwrap_or(now);
            // Committing (nothing) waits until the first confirmation is durable (it may share
            // this SQLite group-commit batch), so we answer only what is committed.
            tx.commit().await?;
            return Ok((at, false));
        }
        self.audit_step(
            &mut *tx,
            &Self::trip_link_principal(send.id),
            AuditAction::BookingDocumentsReceived,
            &booking,
            json!({ "send": send.id }),
        )
        .await?;
        tx.commit().await?;
        Ok((now, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trip_token_verifies_and_anything_else_does_not() {
        let keys = KeyRing::generate();
        let id = Uuid::now_v7();
        let token = trip_token(&keys, id);
        assert_eq!(token.len(), 44);
        assert_eq!(verify_trip_token(&keys, &token), Some(id));
        // Another installation's keys, another purpose's tag, an edited id, any length.
        assert_eq!(verify_trip_token(&KeyRing::generate(), &token), None);
        let survey_like = {
            let body = [&[VERSION][..], id.as_bytes()].concat();
            let tag = keys.link_mac("desk.track.v1", &body);
            encode(&[&body, &tag[..TAG]])
        };
        assert_eq!(verify_trip_token(&keys, &survey_like), None);
        let mut edited = token.clone().into_bytes();
        edited[5] = if edited[5] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            verify_trip_token(&keys, std::str::from_utf8(&edited).unwrap()),
            None
        );
        assert_eq!(verify_trip_token(&keys, &token[..43]), None);
        assert_eq!(verify_trip_token(&keys, ""), None);
        assert_eq!(
            trip_link("https://desk.example.com/", &token),
            format!("https://desk.example.com/trip/{token}")
        );
    }
}

//! Products' cancellation policies as dated data (issue 14 item 6): a tour package, a lodging
//! property or one of its room types gets versions of its policy — tiers (days before
//! departure → a share of the price) or a lodging preset — each in force from its effective
//! date until a later version's. Versions are only added (never edited or backdated), and a
//! booking keeps a copy of the version in force on the day it is confirmed, so what the
//! customer was promised never changes under them.
//!
//! Which policy a booking gets at confirmation ([`App::policy_at_confirmation`]): its lines
//! are looked at tours first, then rooms, each in line order; a seats line asks its package,
//! a room line its room type and then its property; the first version in force found is the
//! booking's. A booking none of whose products has one gets the default
//! ([`super::steps::default_policy`]: the 2014 model contract of its tours' scope, or the
//! lodging preset).

use super::steps::default_policy;
use crate::page::Page;
use crate::{App, AppError, FieldError, Principal};
use jiff::civil::Date;
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::refund::{check_terms, LodgingDraft, TermsDraft, TierInput};
use tripdesk_domain::bookings::{CancellationPolicy, PolicyTerms, TripScope};
use tripdesk_domain::catalog::{RoomType, TourScope};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Booking, LineItem, PolicySubject, PolicyVersion, Tx};
use uuid::Uuid;

/// A policy version as staff or an integrator submit it. A tour package takes `tiers` (and
/// optionally `agency_tiers`); a property or a room type takes `lodging`.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersionInput {
    pub name: String,
    pub effective_from: Date,
    pub tiers: Option<Vec<TierInput>>,
    pub agency_tiers: Option<Vec<TierInput>>,
    pub lodging: Option<LodgingDraft>,
    /// Force majeure: whether postponement is free (default: yes for tours, no for lodging,
    /// as the defaults are).
    pub free_postponement: Option<bool>,
}

/// Where the policy in force for a product comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    /// A version of the product's own.
    Own,
    /// A room type without one of its own: its property's version.
    Property,
    /// No version applies: the default (2014 model contract, lodging preset).
    Default,
}

impl PolicySource {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicySource::Own => "own",
            PolicySource::Property => "property",
            PolicySource::Default => "default",
        }
    }
}

/// What applies to a product today, and its own versions.
#[derive(Debug, Clone)]
pub struct PolicyOverview {
    pub in_force: CancellationPolicy,
    pub source: PolicySource,
    /// The version in force, when it is a stored one (own or the property's).
    pub in_force_id: Option<Uuid>,
    /// The product's versions (for a property: its room types' too), newest first.
    pub history: Page<PolicyVersion>,
    /// A property's room types, each with what applies to it today.
    pub room_types: Vec<RoomTypePolicy>,
}

/// What applies to one room type of a property today.
#[derive(Debug, Clone)]
pub struct RoomTypePolicy {
    pub room_type: RoomType,
    pub in_force: CancellationPolicy,
    pub source: PolicySource,
    pub in_force_id: Option<Uuid>,
}

/// The products a booking line asks for a policy, in order, and its tour's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinePolicy {
    pub chain: Vec<PolicySubject>,
    pub scope: Option<TourScope>,
}

/// The most characters of a policy's name.
pub const POLICY_NAME_MAX: usize = 100;

/// The product a policy is about, as loaded: what kind of terms it takes.
enum Product {
    Tour(TourScope),
    Lodging,
}

fn trip_scope(scope: TourScope) -> TripScope {
    match scope {
        TourScope::Domestic => TripScope::Domestic,
        TourScope::Outbound => TripScope::Outbound,
    }
}

impl App {
    async fn policy_product(
        &self,
        tx: &mut dyn Tx,
        subject: PolicySubject,
    ) -> Result<Product, AppError> {
        match subject {
            PolicySubject::Package(id) => tx
                .get_package(id)
                .await?
                .map(|p| Product::Tour(p.package.scope))
                .ok_or(AppError::NotFound("tour package")),
            PolicySubject::Property(id) => tx
                .get_property(id)
                .await?
                .map(|_| Product::Lodging)
                .ok_or(AppError::NotFound("property")),
            PolicySubject::RoomType(id) => tx
                .get_room_type(id)
                .await?
                .map(|_| Product::Lodging)
                .ok_or(AppError::NotFound("room type")),
        }
    }

    /// Adds a version of `subject`'s policy (needs `manage_catalog`), audited. Refused with
    /// the field at fault: a name, an effective date not before today, tiers for a tour
    /// package (ordered, percentages 0–100, never less nearer departure) or a preset for
    /// lodging. 404 for a product that does not exist.
    pub async fn add_policy_version(
        &self,
        principal: &Principal,
        subject: PolicySubject,
        input: PolicyVersionInput,
    ) -> Result<PolicyVersion, AppError> {
        principal.require(Permission::ManageCatalog)?;
        let mut fields = Vec::new();
        let name = crate::check_text(
            &mut fields,
            "name",
            &input.name,
            POLICY_NAME_MAX,
            crate::Lines::One,
        );
        let today = self.today();
        if input.effective_from < today {
            fields.push(FieldError::new(
                "effective_from",
                "past",
                "a version takes effect today or later: bookings confirmed before kept the \
                 policy of their day",
            ));
        }
        let mut tx = self.store.write().await?;
        let product = self.policy_product(&mut *tx, subject).await?;
        let draft = match product {
            Product::Tour(scope) => {
                if input.lodging.is_some() {
                    fields.push(FieldError::new(
                        "lodging",
                        "not_lodging",
                        "a tour package takes tiers, not a lodging preset",
                    ));
                }
                match &input.tiers {
                    None => {
                        fields.push(FieldError::new(
                            "tiers",
                            "required",
                            "a tour package's policy needs its tiers",
                        ));
                        None
                    }
                    Some(tiers) => Some(TermsDraft::Tour {
                        scope: trip_scope(scope),
                        tiers: tiers.clone(),
                        agency_tiers: input.agency_tiers.clone(),
                        free_postponement: input.free_postponement.unwrap_or(true),
                    }),
                }
            }
            Product::Lodging => {
                for (given, field) in [
                    (input.tiers.is_some(), "tiers"),
                    (input.agency_tiers.is_some(), "agency_tiers"),
                ] {
                    if given {
                        fields.push(FieldError::new(
                            field,
                            "not_tour",
                            "lodging takes a preset (free_until, first_night, non_refundable), \
                             not tiers",
                        ));
                    }
                }
                match input.lodging {
                    None => {
                        fields.push(FieldError::new(
                            "lodging",
                            "required",
                            "a property's or room type's policy needs its preset",
                        ));
                        None
                    }
                    Some(preset) => Some(TermsDraft::Lodging {
                        preset,
                        free_postponement: input.free_postponement.unwrap_or(false),
                    }),
                }
            }
        };
        let terms = match draft.map(|d| check_terms(&d)) {
            Some(Ok(terms)) => Some(terms),
            Some(Err(errors)) => {
                fields.extend(
                    errors
                        .into_iter()
                        .map(|e| FieldError::new(&e.field, e.code, e.message)),
                );
                None
            }
            None => None,
        };
        let (true, Some(terms)) = (fields.is_empty(), terms) else {
            return Err(AppError::Validation(fields));
        };
        let version = PolicyVersion {
            id: Uuid::now_v7(),
            subject,
            policy: CancellationPolicy {
                name,
                effective_from: input.effective_from,
                terms,
            },
            created_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            created_at: self.now(),
        };
        tx.insert_policy_version(&version).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogPolicyAdd,
            subject_entity(subject),
            Some(subject.id().to_string()),
            json!({
                "version_id": version.id,
                "name": version.policy.name,
                "effective_from": version.policy.effective_from.to_string(),
                "terms": terms_summary(&version.policy.terms),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// What applies to `subject` today and its versions, newest first (needs
    /// `view_bookings`); a property's history holds its room types' versions too.
    pub async fn policy_overview(
        &self,
        principal: &Principal,
        subject: PolicySubject,
        limit: u32,
        offset: u64,
    ) -> Result<PolicyOverview, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let product = self.policy_product(&mut *tx, subject).await?;
        let today = self.today();
        let mut subjects = vec![subject];
        let types = match subject {
            PolicySubject::Property(id) => tx.list_room_types(id).await?,
            _ => Vec::new(),
        };
        subjects.extend(types.iter().map(|t| PolicySubject::RoomType(t.id)));
        let rows = tx
            .list_policy_versions(&subjects, Page::<()>::fetch_limit(limit), offset)
            .await?;
        let history = Page::of(rows, limit);
        let scopes: Vec<TourScope> = match product {
            Product::Tour(scope) => vec![scope],
            Product::Lodging => vec![],
        };
        let (in_force, source, in_force_id) =
            match self.in_force_for(&mut *tx, subject, today).await? {
                Some((v, source)) => (v.policy, source, Some(v.id)),
                None => (default_policy(&scopes, today), PolicySource::Default, None),
            };
        let mut room_types = Vec::with_capacity(types.len());
        for room_type in types {
            let own = tx
                .policy_in_force(PolicySubject::RoomType(room_type.id), today)
                .await?;
            let (policy, source, id) = match own {
                Some(v) => (v.policy, PolicySource::Own, Some(v.id)),
                None => (in_force.clone(), source_for_room_type(source), in_force_id),
            };
            room_types.push(RoomTypePolicy {
                room_type,
                in_force: policy,
                source,
                in_force_id: id,
            });
        }
        Ok(PolicyOverview {
            in_force,
            source,
            in_force_id,
            history,
            room_types,
        })
    }

    /// The stored version in force for `subject` on `on`: its own, or for a room type its
    /// property's.
    async fn in_force_for(
        &self,
        tx: &mut dyn Tx,
        subject: PolicySubject,
        on: Date,
    ) -> Result<Option<(PolicyVersion, PolicySource)>, AppError> {
        if let Some(v) = tx.policy_in_force(subject, on).await? {
            return Ok(Some((v, PolicySource::Own)));
        }
        if let PolicySubject::RoomType(id) = subject {
            if let Some(t) = tx.get_room_type(id).await? {
                let property = PolicySubject::Property(t.property_id);
                if let Some(v) = tx.policy_in_force(property, on).await? {
                    return Ok(Some((v, PolicySource::Property)));
                }
            }
        }
        Ok(None)
    }

    /// Where each line of `booking` looks for its policy, read from the catalog.
    pub(crate) async fn line_policies(
        &self,
        tx: &mut dyn Tx,
        booking: &Booking,
    ) -> Result<Vec<LinePolicy>, AppError> {
        let mut out = Vec::with_capacity(booking.lines.len());
        for line in &booking.lines {
            match &line.item {
                LineItem::Seats { departure_id, .. } => {
                    if let Some(d) = tx.get_departure(*departure_id).await? {
                        if let Some(p) = tx.get_package(d.departure.package_id).await? {
                            out.push(LinePolicy {
                                chain: vec![PolicySubject::Package(p.package.id)],
                                scope: Some(p.package.scope),
                            });
                        }
                    }
                }
                LineItem::Room { room_id, .. } => {
                    if let Some(room) = tx.get_room(*room_id).await? {
                        out.push(LinePolicy {
                            chain: vec![
                                PolicySubject::RoomType(room.room_type_id),
                                PolicySubject::Property(room.property_id),
                            ],
                            scope: None,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// The policy a booking confirmed on `today` keeps: the version in force that day of the
    /// first of its products that has one (tours first, then rooms, in line order; a room
    /// asks its room type, then its property), else the default for its tours' scope or for
    /// lodging.
    pub(crate) async fn policy_at_confirmation(
        &self,
        tx: &mut dyn Tx,
        lines: &[LinePolicy],
        today: Date,
    ) -> Result<CancellationPolicy, AppError> {
        let tours = lines.iter().filter(|l| l.scope.is_some());
        let rooms = lines.iter().filter(|l| l.scope.is_none());
        for line in tours.chain(rooms) {
            for subject in &line.chain {
                if let Some(v) = tx.policy_in_force(*subject, today).await? {
                    return Ok(v.policy);
                }
            }
        }
        let scopes: Vec<TourScope> = lines.iter().filter_map(|l| l.scope).collect();
        Ok(default_policy(&scopes, today))
    }
}

/// What a room type without a version of its own gets, given its property's source.
fn source_for_room_type(property: PolicySource) -> PolicySource {
    match property {
        PolicySource::Own => PolicySource::Property,
        other => other,
    }
}

/// The audit log's entity type of a policy's product.
fn subject_entity(subject: PolicySubject) -> &'static str {
    match subject {
        PolicySubject::Package(_) => "tour_package",
        PolicySubject::Property(_) => "property",
        PolicySubject::RoomType(_) => "room_type",
    }
}

/// What the audit entry says of the terms: figures, no text.
fn terms_summary(terms: &PolicyTerms) -> serde_json::Value {
    match terms {
        PolicyTerms::Tour(t) => json!({
            "kind": "tiers",
            "tiers": t.customer.tiers().iter()
                .map(|x| json!({"days_before": x.min_days, "basis_points": x.basis_points}))
                .collect::<Vec<_>>(),
            "free_postponement": t.free_postponement,
        }),
        PolicyTerms::Lodging(l) => json!({
            "kind": l.preset.kind().as_str(),
            "free_postponement": l.free_postponement,
        }),
    }
}

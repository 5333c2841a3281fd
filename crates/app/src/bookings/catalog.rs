//! The catalog as staff and integrators use it: tour packages and departures, properties,
//! room types and rooms, and availability (rooms free per room type and night, priced by the
//! working-day calendar's weekends and holidays).

use crate::page::Page;
use crate::{App, AppError, FieldError, Principal};
use jiff::civil::Date;
use serde_json::json;
use std::collections::HashMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::calendar::Calendar;
use tripdesk_domain::catalog::{CatalogError, DayKind, Departure, RoomType, TourPackage};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{DepartureFilter, DepartureRecord, PackageRecord, Property, Room, Tx};
use uuid::Uuid;

/// The longest window one availability answer covers.
pub const MAX_AVAILABILITY_DAYS: i32 = 400;

/// A catalog rule broken, as the field error a form or an API client shows.
pub(crate) fn catalog_error(e: CatalogError) -> AppError {
    match e {
        CatalogError::Invalid { field, rule } => AppError::field(field, rule, e.to_string()),
        CatalogError::Overflow => AppError::field("amount_fen", "overflow", e.to_string()),
    }
}

/// A new property as staff enter it.
#[derive(Debug, Clone, Default)]
pub struct NewProperty {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub check_in_time: String,
    pub check_out_time: String,
}

/// Free rooms of one room type on one night, and that night's price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NightAvailability {
    pub night: Date,
    pub free: u32,
    pub day_kind: DayKind,
    pub price_fen: i64,
}

/// One room type's availability over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeAvailability {
    pub room_type: RoomType,
    /// Active rooms of the type.
    pub rooms: u32,
    pub nights: Vec<NightAvailability>,
}

/// What kind of day follows a night, as the office calendar's holidays and make-up days say
/// (a year the calendar does not cover falls back to Saturday and Sunday as rest days).
pub fn day_kind(calendar: &Calendar, date: Date) -> DayKind {
    if calendar.holidays().is_holiday(date) {
        return DayKind::Holiday;
    }
    match calendar.is_working_day(date) {
        Ok(true) => DayKind::Working,
        Ok(false) => DayKind::RestDay,
        Err(_) => match date.weekday() {
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday => DayKind::RestDay,
            _ => DayKind::Working,
        },
    }
}

fn check_window(from: Date, until: Date) -> Result<(), AppError> {
    let days = (until - from).get_days();
    if until <= from {
        return Err(AppError::field(
            "until",
            "before_from",
            "the window ends before it starts",
        ));
    }
    if days > MAX_AVAILABILITY_DAYS {
        return Err(AppError::field(
            "until",
            "too_long",
            format!("at most {MAX_AVAILABILITY_DAYS} days at a time"),
        ));
    }
    Ok(())
}

impl App {
    /// Adds a tour package (a new id is given to it), audited.
    pub async fn create_package(
        &self,
        principal: &Principal,
        mut package: TourPackage,
    ) -> Result<PackageRecord, AppError> {
        principal.require(Permission::ManageCatalog)?;
        package.id = Uuid::now_v7();
        package.validate().map_err(catalog_error)?;
        let now = self.now();
        let record = PackageRecord {
            package,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_package(&record).await?;
        self.index_package(&mut *tx, &record).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogPackageSave,
            "tour_package",
            Some(record.package.id.to_string()),
            json!({ "name": record.package.name, "created": true }),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn list_packages(
        &self,
        principal: &Principal,
        active_only: bool,
        limit: u32,
        offset: u64,
    ) -> Result<Page<PackageRecord>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let rows = tx
            .list_packages(active_only, Page::<()>::fetch_limit(limit), offset)
            .await?;
        Ok(Page::of(rows, limit))
    }

    pub async fn get_package(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<PackageRecord, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        tx.get_package(id)
            .await?
            .ok_or(AppError::NotFound("tour package"))
    }

    /// Adds a departure of an existing package, checked against the package's scope (the
    /// go/no-go date's notice), audited.
    pub async fn create_departure(
        &self,
        principal: &Principal,
        mut departure: Departure,
    ) -> Result<DepartureRecord, AppError> {
        principal.require(Permission::ManageCatalog)?;
        departure.id = Uuid::now_v7();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let package = tx.get_package(departure.package_id).await?.ok_or_else(|| {
            AppError::field("package_id", "unknown", "no tour package has this id")
        })?;
        let (name, phone) = (departure.guide_name.clone(), departure.guide_phone.clone());
        departure.set_guide(&name, &phone).map_err(catalog_error)?;
        departure
            .validate(package.package.scope)
            .map_err(catalog_error)?;
        tx.insert_departure(&departure, now).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogDepartureCreate,
            "departure",
            Some(departure.id.to_string()),
            json!({ "package_id": departure.package_id, "date": departure.date.to_string(), "seats": departure.seats }),
        )
        .await?;
        tx.commit().await?;
        Ok(DepartureRecord {
            departure,
            taken: 0,
            cancelled: false,
            updated_at: now,
        })
    }

    /// Sets a departure's guide — the name and work phone the pre-trip documents print — or
    /// takes them off (both empty); both or neither (`departure.guide_name` /
    /// `departure.guide_phone`, see `Departure::set_guide`). Needs `manage_catalog`; audited
    /// by field names, never the values. Documents already sent for its bookings become
    /// outdated, and their booking pages offer to send them again.
    pub async fn set_departure_guide(
        &self,
        principal: &Principal,
        id: Uuid,
        name: &str,
        phone: &str,
    ) -> Result<DepartureRecord, AppError> {
        principal.require(Permission::ManageCatalog)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut record = tx
            .get_departure(id)
            .await?
            .ok_or(AppError::NotFound("departure"))?;
        let before = (
            !record.departure.guide_name.is_empty(),
            record.departure.guide_name.clone(),
            record.departure.guide_phone.clone(),
        );
        record
            .departure
            .set_guide(name, phone)
            .map_err(catalog_error)?;
        let d = &record.departure;
        if !tx
            .set_departure_guide(id, &d.guide_name, &d.guide_phone, now)
            .await?
        {
            return Err(AppError::NotFound("departure"));
        }
        let mut changed = Vec::new();
        if before.1 != d.guide_name {
            changed.push("guide_name");
        }
        if before.2 != d.guide_phone {
            changed.push("guide_phone");
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogDepartureGuide,
            "departure",
            Some(id.to_string()),
            json!({ "changed": changed, "had_guide": before.0, "has_guide": !d.guide_name.is_empty() }),
        )
        .await?;
        tx.commit().await?;
        record.updated_at = now;
        Ok(record)
    }

    pub async fn list_departures(
        &self,
        principal: &Principal,
        filter: DepartureFilter,
    ) -> Result<Page<DepartureRecord>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let limit = filter.limit;
        let mut tx = self.store.read().await?;
        let rows = tx
            .list_departures(&DepartureFilter {
                limit: Page::<()>::fetch_limit(limit),
                ..filter
            })
            .await?;
        Ok(Page::of(rows, limit))
    }

    pub async fn get_departure(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<DepartureRecord, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        tx.get_departure(id)
            .await?
            .ok_or(AppError::NotFound("departure"))
    }

    /// Adds a lodging property, audited.
    pub async fn create_property(
        &self,
        principal: &Principal,
        input: NewProperty,
    ) -> Result<Property, AppError> {
        principal.require(Permission::ManageCatalog)?;
        let mut fields = Vec::new();
        let mut line = |field: &str, value: &str, max: usize, required: bool| {
            let v = crate::check_text(&mut fields, field, value, max, crate::Lines::One);
            if required && v.is_empty() {
                fields.push(FieldError::new(
                    field,
                    "required",
                    format!("{field} is required"),
                ));
            }
            v
        };
        let property = Property {
            id: Uuid::now_v7(),
            name: line("name", &input.name, 100, true),
            address: line("address", &input.address, 200, true),
            phone: line("phone", &input.phone, 40, false),
            check_in_time: line("check_in_time", &input.check_in_time, 5, true),
            check_out_time: line("check_out_time", &input.check_out_time, 5, true),
            created_at: self.now(),
        };
        for (field, value) in [
            ("check_in_time", &property.check_in_time),
            ("check_out_time", &property.check_out_time),
        ] {
            if !value.is_empty() && value.parse::<jiff::civil::Time>().is_err() {
                fields.push(FieldError::new(field, "invalid", "a time of day as HH:MM"));
            }
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        tx.insert_property(&property).await?;
        self.index_property(&mut *tx, property.id).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogPropertySave,
            "property",
            Some(property.id.to_string()),
            json!({ "name": property.name }),
        )
        .await?;
        tx.commit().await?;
        Ok(property)
    }

    pub async fn get_property(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Property, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        tx.get_property(id)
            .await?
            .ok_or(AppError::NotFound("property"))
    }

    pub async fn list_properties(
        &self,
        principal: &Principal,
        limit: u32,
        offset: u64,
    ) -> Result<Page<Property>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let rows = tx
            .list_properties(Page::<()>::fetch_limit(limit), offset)
            .await?;
        Ok(Page::of(rows, limit))
    }

    /// Adds a room type to a property, audited.
    pub async fn create_room_type(
        &self,
        principal: &Principal,
        mut room_type: RoomType,
    ) -> Result<RoomType, AppError> {
        principal.require(Permission::ManageCatalog)?;
        room_type.id = Uuid::now_v7();
        room_type.validate().map_err(catalog_error)?;
        let mut tx = self.store.write().await?;
        tx.get_property(room_type.property_id)
            .await?
            .ok_or_else(|| AppError::field("property_id", "unknown", "no property has this id"))?;
        tx.insert_room_type(&room_type, self.now()).await?;
        self.index_property(&mut *tx, room_type.property_id).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogRoomTypeSave,
            "room_type",
            Some(room_type.id.to_string()),
            json!({ "name": room_type.name, "property_id": room_type.property_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(room_type)
    }

    pub async fn list_room_types(
        &self,
        principal: &Principal,
        property_id: Uuid,
    ) -> Result<Vec<RoomType>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_room_types(property_id).await?)
    }

    /// Adds a room (a unit) of a room type; its label is unique in the property.
    pub async fn create_room(
        &self,
        principal: &Principal,
        room_type_id: Uuid,
        label: &str,
        position: i64,
    ) -> Result<Room, AppError> {
        principal.require(Permission::ManageCatalog)?;
        let mut fields = Vec::new();
        let label = crate::check_text(&mut fields, "label", label, 40, crate::Lines::One);
        if label.is_empty() {
            fields.push(FieldError::new(
                "label",
                "required",
                "a room needs a label (201, 竹园…)",
            ));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let room_type = tx.get_room_type(room_type_id).await?.ok_or_else(|| {
            AppError::field("room_type_id", "unknown", "no room type has this id")
        })?;
        let room = Room {
            id: Uuid::now_v7(),
            property_id: room_type.property_id,
            room_type_id,
            label,
            position,
            active: true,
        };
        use crate::OnDuplicate;
        tx.insert_room(&room).await.on_duplicate(
            "room_label_taken",
            Some("label"),
            "the property already has a room with this label",
        )?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogRoomSave,
            "room",
            Some(room.id.to_string()),
            json!({ "label": room.label, "room_type_id": room_type_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(room)
    }

    pub async fn list_rooms(
        &self,
        principal: &Principal,
        property_id: Option<Uuid>,
        limit: u32,
        offset: u64,
    ) -> Result<Page<Room>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let rows = tx
            .list_rooms(property_id, Page::<()>::fetch_limit(limit), offset)
            .await?;
        Ok(Page::of(rows, limit))
    }

    /// Rooms free per room type and night of a property from `from` to `until` (excluded),
    /// each night priced by its room type's rates for the day after it.
    pub async fn availability(
        &self,
        principal: &Principal,
        property_id: Uuid,
        from: Date,
        until: Date,
    ) -> Result<Vec<TypeAvailability>, AppError> {
        principal.require(Permission::ViewBookings)?;
        check_window(from, until)?;
        let mut tx = self.store.read().await?;
        self.availability_in(&mut *tx, property_id, from, until)
            .await
    }

    pub(crate) async fn availability_in(
        &self,
        tx: &mut dyn Tx,
        property_id: Uuid,
        from: Date,
        until: Date,
    ) -> Result<Vec<TypeAvailability>, AppError> {
        tx.get_property(property_id)
            .await?
            .ok_or(AppError::NotFound("property"))?;
        let types = tx.list_room_types(property_id).await?;
        let rooms = tx.list_rooms(Some(property_id), 10_000, 0).await?;
        let calendar = self
            .load_calendar(tx, Calendar::CHINA_MAINLAND_OFFICE)
            .await?;
        let dates: Vec<(Date, DayKind)> = from
            .series(jiff::Span::new().days(1))
            .take_while(|d| *d < until)
            .map(|d| (d, day_kind(&calendar, d.tomorrow().unwrap_or(d))))
            .collect();
        let index: HashMap<Date, usize> = dates
            .iter()
            .enumerate()
            .map(|(i, (d, _))| (*d, i))
            .collect();
        // Rooms taken per room type, one slot per night of the window.
        let mut taken: HashMap<Uuid, Vec<u32>> = HashMap::with_capacity(types.len());
        for c in tx.taken_per_type_night(property_id, from, until).await? {
            if let Some(&i) = index.get(&c.night) {
                taken
                    .entry(c.room_type_id)
                    .or_insert_with(|| vec![0; dates.len()])[i] += c.taken;
            }
        }
        Ok(types
            .into_iter()
            .map(|room_type| {
                let count = rooms
                    .iter()
                    .filter(|r| r.active && r.room_type_id == room_type.id)
                    .count() as u32;
                let taken = taken.get(&room_type.id);
                let nights = dates
                    .iter()
                    .enumerate()
                    .map(|(i, (night, kind))| NightAvailability {
                        night: *night,
                        free: count.saturating_sub(taken.map_or(0, |t| t[i])),
                        day_kind: *kind,
                        price_fen: room_type.rate(*kind),
                    })
                    .collect();
                TypeAvailability {
                    room_type,
                    rooms: count,
                    nights,
                }
            })
            .collect())
    }
}

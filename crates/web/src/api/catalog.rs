//! The catalog for integrators and staff: tour packages (`/products`) and their departures,
//! lodging properties with room types and rooms, and availability.

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::catalog::{NewProperty, TypeAvailability};
use tripdesk_domain::catalog::{DayKind, Departure, RoomType, TourPackage};
use tripdesk_store::{DepartureFilter, DepartureRecord, PackageRecord, Property, Room};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product))
        .routes(routes!(list_departures, create_departure))
        .routes(routes!(get_departure))
        .routes(routes!(set_guide))
        .routes(routes!(list_properties, create_property))
        .routes(routes!(list_room_types, create_room_type))
        .routes(routes!(list_rooms, create_room))
        .routes(routes!(availability))
        .routes(routes!(create_room_feed))
        .routes(routes!(create_room_type_feed))
        .routes(routes!(ical_feed))
        .routes(routes!(import_ical))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// A page request.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
    /// Products only: leave out packages withdrawn from sale.
    active_only: Option<bool>,
    /// Rooms only: one property's rooms.
    property_id: Option<Uuid>,
}

/// A tour package as sold.
#[derive(Serialize, ToSchema)]
pub struct ProductView {
    #[serde(flatten)]
    package: TourPackage,
    /// Days from departure to return.
    days: u16,
    active: bool,
    created_at: String,
    updated_at: String,
}

impl ProductView {
    fn of(state: &AppState, p: PackageRecord) -> Self {
        Self {
            days: p.package.days(),
            package: p.package,
            active: p.active,
            created_at: rfc3339(state, p.created_at),
            updated_at: rfc3339(state, p.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProductList {
    items: Vec<ProductView>,
    /// Whether another page follows (ask again with `offset` + `limit`).
    more: bool,
}

/// Tour packages by name (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(PageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of tour packages", body = ProductList)))]
async fn list_products(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ProductList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let page = state
        .app
        .list_packages(
            &p,
            q.active_only.unwrap_or(false),
            limit,
            u64::from(q.offset.unwrap_or(0)),
        )
        .await?;
    Ok(Json(ProductList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|r| ProductView::of(&state, r))
            .collect(),
    }))
}

/// Adds a tour package (needs `manage_catalog`; audited). The `id` is given by the server.
#[utoipa::path(post, path = "/api/v1/products", tag = "catalog",
    request_body(content = TourPackage, example = json!({
        "name": "黄山宏村二日游", "destination": "黄山", "keywords": ["西海大峡谷", "宏村"],
        "scope": "domestic", "tags": ["sightseeing", "culture"],
        "accessibility": {"wheelchair": false, "easy_walking": false}, "diets": [],
        "itinerary": [{"day": 1, "title": "合肥—宏村", "description": "上午出发，下午游宏村"},
                      {"day": 2, "title": "黄山", "description": "西海大峡谷，傍晚返回"}],
        "inclusions": ["往返大巴", "景区首道门票"], "exclusions": ["索道"],
        "fees": [{"label": "门票", "amount_fen": 19000}],
        "accommodation": "山上酒店标准间", "transport": "空调旅游大巴", "meals": "1早2正",
        "notes": "山上气温低，请带外套"})),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = ProductView)))]
async fn create_product(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<TourPackage>,
) -> Result<(StatusCode, Json<ProductView>), ApiError> {
    let record = state.app.create_package(&p, body).await?;
    Ok((StatusCode::CREATED, Json(ProductView::of(&state, record))))
}

/// One tour package (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The package", body = ProductView)))]
async fn get_product(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<ProductView>, ApiError> {
    let record = state.app.get_package(&p, path.id).await?;
    Ok(Json(ProductView::of(&state, record)))
}

/// A departure with its seats.
#[derive(Serialize, ToSchema)]
pub struct DepartureView {
    #[serde(flatten)]
    departure: Departure,
    /// Seats held or confirmed.
    taken: u32,
    seats_left: u32,
    cancelled: bool,
}

impl DepartureView {
    fn of(d: DepartureRecord) -> Self {
        Self {
            taken: d.taken,
            seats_left: d.seats_left(),
            cancelled: d.cancelled,
            departure: d.departure,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartureList {
    items: Vec<DepartureView>,
    more: bool,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DepartureQuery {
    package_id: Option<Uuid>,
    /// Departing on or after this date (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<Date>,
    /// Departing before this date.
    #[param(value_type = Option<String>, format = Date)]
    until: Option<Date>,
    /// Only open departures with at least this many seats left.
    #[param(minimum = 1, maximum = 999)]
    min_seats_left: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// Departures, earliest first (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/departures", tag = "catalog", params(DepartureQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of departures", body = DepartureList)))]
async fn list_departures(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<DepartureQuery>,
) -> Result<Json<DepartureList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    if q.min_seats_left.is_some_and(|n| !(1..=999).contains(&n)) {
        return Err(tripdesk_app::AppError::field(
            "min_seats_left",
            "out_of_range",
            "min_seats_left is 1 to 999",
        )
        .into());
    }
    let page = state
        .app
        .list_departures(
            &p,
            DepartureFilter {
                package_id: q.package_id,
                from: q.from,
                until: q.until,
                min_seats_left: q.min_seats_left,
                limit,
                offset: u64::from(q.offset.unwrap_or(0)),
            },
        )
        .await?;
    Ok(Json(DepartureList {
        more: page.more,
        items: page.items.into_iter().map(DepartureView::of).collect(),
    }))
}

/// Adds a departure of a package (needs `manage_catalog`; audited). The go/no-go date must
/// leave the notice the model contracts ask: 7 days (domestic) or 30 (outbound).
#[utoipa::path(post, path = "/api/v1/departures", tag = "catalog",
    request_body(content = Departure, example = json!({
        "package_id": "01938f8e-0000-7000-8000-000000000001", "date": "2027-05-01",
        "seats": 30, "min_group": 10, "go_no_go": "2027-04-24",
        "prices": {"adult": 128000, "child": 68000, "senior": 98000},
        "meeting_time": "07:00", "meeting_point": "合肥南站北广场",
        "guide_name": "李明", "guide_phone": "139 0571 2201"})),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = DepartureView)))]
async fn create_departure(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<Departure>,
) -> Result<(StatusCode, Json<DepartureView>), ApiError> {
    let d = state.app.create_departure(&p, body).await?;
    Ok((StatusCode::CREATED, Json(DepartureView::of(d))))
}

/// One departure with its seats left (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/departures/{id}", tag = "catalog", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The departure", body = DepartureView)))]
async fn get_departure(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<DepartureView>, ApiError> {
    Ok(Json(DepartureView::of(
        state.app.get_departure(&p, path.id).await?,
    )))
}

/// A departure's guide: a name and the phone travelers reach them on, or both empty to take
/// the guide off.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "李明（导游）", "phone": "139 0571 2201"}))]
pub struct GuideBody {
    /// At most 40 characters, one line.
    #[schema(max_length = 40)]
    name: String,
    /// At most 30 characters: digits, spaces, `+`, `-`, `(`, `)`, at least 5 digits.
    #[schema(max_length = 30)]
    phone: String,
}

/// Sets a departure's guide (导游/领队), printed with the phone on its travelers' pre-trip
/// documents (needs `manage_catalog`; audited by field names). Both or neither: 422
/// `departure.guide_name` or `departure.guide_phone` names the one missing or malformed.
/// Documents already sent for its bookings become outdated (`GET /api/v1/bookings/{id}/documents`).
#[utoipa::path(put, path = "/api/v1/departures/{id}/guide", tag = "catalog", params(IdPath),
    request_body = GuideBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The departure with its guide", body = DepartureView)))]
async fn set_guide(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<GuideBody>,
) -> Result<Json<DepartureView>, ApiError> {
    let d = state
        .app
        .set_departure_guide(&p, path.id, &body.name, &body.phone)
        .await?;
    Ok(Json(DepartureView::of(d)))
}

/// A lodging property.
#[derive(Serialize, ToSchema)]
pub struct PropertyView {
    id: Uuid,
    name: String,
    address: String,
    phone: String,
    check_in_time: String,
    check_out_time: String,
    created_at: String,
}

impl PropertyView {
    fn of(state: &AppState, p: Property) -> Self {
        Self {
            id: p.id,
            name: p.name,
            address: p.address,
            phone: p.phone,
            check_in_time: p.check_in_time,
            check_out_time: p.check_out_time,
            created_at: rfc3339(state, p.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PropertyList {
    items: Vec<PropertyView>,
    more: bool,
}

/// A property as submitted.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
    "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}))]
pub struct PropertyBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    #[schema(min_length = 1, max_length = 200)]
    address: String,
    #[serde(default)]
    phone: String,
    /// `HH:MM`.
    check_in_time: String,
    check_out_time: String,
}

/// Lodging properties by name (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/properties", tag = "catalog", params(PageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of properties", body = PropertyList)))]
async fn list_properties(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<PropertyList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let page = state
        .app
        .list_properties(&p, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(PropertyList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|x| PropertyView::of(&state, x))
            .collect(),
    }))
}

/// Adds a lodging property (needs `manage_catalog`; audited).
#[utoipa::path(post, path = "/api/v1/properties", tag = "catalog", request_body = PropertyBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = PropertyView)))]
async fn create_property(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<PropertyBody>,
) -> Result<(StatusCode, Json<PropertyView>), ApiError> {
    let property = state
        .app
        .create_property(
            &p,
            NewProperty {
                name: b.name,
                address: b.address,
                phone: b.phone,
                check_in_time: b.check_in_time,
                check_out_time: b.check_out_time,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PropertyView::of(&state, property)),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct RoomTypeList {
    items: Vec<RoomType>,
}

/// A property's room types (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/properties/{id}/room-types", tag = "catalog", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The room types", body = RoomTypeList)))]
async fn list_room_types(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<RoomTypeList>, ApiError> {
    Ok(Json(RoomTypeList {
        items: state.app.list_room_types(&p, path.id).await?,
    }))
}

/// Adds a room type to the property (needs `manage_catalog`; audited). Rates in fen: the
/// weekend rate applies to nights before a rest day, the holiday rate to nights before a
/// public holiday, as the working-day calendar says.
#[utoipa::path(post, path = "/api/v1/properties/{id}/room-types", tag = "catalog", params(IdPath),
    request_body(content = RoomType, example = json!({
        "property_id": "01938f8e-0000-7000-8000-000000000002", "name": "海景大床房",
        "max_occupancy": 2, "facilities": ["独立卫浴", "观景阳台"],
        "accessibility": {"wheelchair": false, "easy_walking": true},
        "base_rate": 48000, "weekend_rate": 58000, "holiday_rate": 88000})),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = RoomType)))]
async fn create_room_type(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(mut body): ApiJson<RoomType>,
) -> Result<(StatusCode, Json<RoomType>), ApiError> {
    body.property_id = path.id;
    let rt = state.app.create_room_type(&p, body).await?;
    Ok((StatusCode::CREATED, Json(rt)))
}

/// A room (a unit).
#[derive(Serialize, ToSchema)]
pub struct RoomView {
    id: Uuid,
    property_id: Uuid,
    room_type_id: Uuid,
    label: String,
    position: i64,
    active: bool,
}

impl From<Room> for RoomView {
    fn from(r: Room) -> Self {
        Self {
            id: r.id,
            property_id: r.property_id,
            room_type_id: r.room_type_id,
            label: r.label,
            position: r.position,
            active: r.active,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoomList {
    items: Vec<RoomView>,
    more: bool,
}

/// A room as submitted.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"room_type_id": "01938f8e-0000-7000-8000-000000000003", "label": "201", "position": 1}))]
pub struct RoomBody {
    room_type_id: Uuid,
    /// What staff call it ("201", "竹园"); unique in the property.
    #[schema(min_length = 1, max_length = 40)]
    label: String,
    /// Order in the room-status grid.
    #[serde(default)]
    position: i64,
}

/// Rooms in grid order, optionally of one property (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/rooms", tag = "catalog", params(PageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of rooms", body = RoomList)))]
async fn list_rooms(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<RoomList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let page = state
        .app
        .list_rooms(&p, q.property_id, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(RoomList {
        more: page.more,
        items: page.items.into_iter().map(RoomView::from).collect(),
    }))
}

/// Adds a room of a room type (needs `manage_catalog`; audited). 409 `room_label_taken`
/// when the property has a room with the label.
#[utoipa::path(post, path = "/api/v1/rooms", tag = "catalog", request_body = RoomBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = RoomView)))]
async fn create_room(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<RoomBody>,
) -> Result<(StatusCode, Json<RoomView>), ApiError> {
    let room = state
        .app
        .create_room(&p, b.room_type_id, &b.label, b.position)
        .await?;
    Ok((StatusCode::CREATED, Json(room.into())))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    property_id: Uuid,
    /// First night (`YYYY-MM-DD`).
    #[param(value_type = String, format = Date)]
    from: Date,
    /// The day after the last night; at most 400 days after `from`.
    #[param(value_type = String, format = Date)]
    until: Date,
}

/// One room type's nights, in the order of the answer's `nights`.
#[derive(Serialize, ToSchema)]
pub struct TypeAvailabilityView {
    room_type_id: Uuid,
    name: String,
    max_occupancy: u32,
    /// Active rooms of the type.
    rooms: u32,
    /// Rooms still free each night.
    free: Vec<u32>,
    /// Each night's price in fen (the rate for the day after it).
    price_fen: Vec<i64>,
}

impl From<TypeAvailability> for TypeAvailabilityView {
    fn from(t: TypeAvailability) -> Self {
        Self {
            room_type_id: t.room_type.id,
            name: t.room_type.name,
            max_occupancy: t.room_type.max_occupancy,
            rooms: t.rooms,
            free: t.nights.iter().map(|n| n.free).collect(),
            price_fen: t.nights.iter().map(|n| n.price_fen).collect(),
        }
    }
}

/// Availability as columns: the nights once, then per room type one value per night (a
/// year of 50 room types is 100 arrays, not 18,250 objects).
#[derive(Serialize, ToSchema)]
pub struct AvailabilityView {
    property_id: Uuid,
    /// The nights, in order (`YYYY-MM-DD`).
    #[schema(value_type = Vec<String>)]
    nights: Vec<Date>,
    /// What kind of day follows each night (it sets the price).
    day_kinds: Vec<DayKind>,
    room_types: Vec<TypeAvailabilityView>,
}

/// Rooms free per room type and night, each night priced for the day after it (needs
/// `view_bookings`).
#[utoipa::path(get, path = "/api/v1/availability", tag = "catalog", params(AvailabilityQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Free rooms and prices", body = AvailabilityView)))]
async fn availability(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AvailabilityQuery>,
) -> Result<Json<AvailabilityView>, ApiError> {
    let types = state
        .app
        .availability(&p, q.property_id, q.from, q.until)
        .await?;
    let (nights, day_kinds) = types
        .first()
        .map(|t| t.nights.iter().map(|n| (n.night, n.day_kind)).unzip())
        .unwrap_or_default();
    Ok(Json(AvailabilityView {
        property_id: q.property_id,
        nights,
        day_kinds,
        room_types: types.into_iter().map(Into::into).collect(),
    }))
}

/// A feed link, shown once.
#[derive(Serialize, ToSchema)]
pub struct FeedLinkView {
    id: Uuid,
    /// The feed's address on this server: give it to the OTA (Airbnb, Booking.com…). Anyone
    /// with it can read which nights are taken, nothing else.
    path: String,
}

async fn feed_link(
    state: &AppState,
    p: &tripdesk_app::Principal,
    scope: tripdesk_store::FeedScope,
) -> Result<(StatusCode, Json<FeedLinkView>), ApiError> {
    let (feed, token) = state.app.create_ical_feed(p, scope).await?;
    Ok((
        StatusCode::CREATED,
        Json(FeedLinkView {
            id: feed.id,
            path: format!("/api/v1/ical/{token}.ics"),
        }),
    ))
}

/// Makes an iCalendar feed link of the room's unavailable nights (needs `manage_catalog`;
/// audited). The link is shown once.
#[utoipa::path(post, path = "/api/v1/rooms/{id}/ical-feed", tag = "catalog", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The feed link", body = FeedLinkView)))]
async fn create_room_feed(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<(StatusCode, Json<FeedLinkView>), ApiError> {
    feed_link(&state, &p, tripdesk_store::FeedScope::Room(path.id)).await
}

/// Makes an iCalendar feed link of the nights on which no room of the type is free (needs
/// `manage_catalog`; audited). The link is shown once.
#[utoipa::path(post, path = "/api/v1/room-types/{id}/ical-feed", tag = "catalog", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The feed link", body = FeedLinkView)))]
async fn create_room_type_feed(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<(StatusCode, Json<FeedLinkView>), ApiError> {
    feed_link(&state, &p, tripdesk_store::FeedScope::RoomType(path.id)).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FeedPath {
    /// The feed's token followed by `.ics`.
    file: String,
}

/// A feed of unavailable nights as iCalendar (RFC 5545; DTEND is the check-out day). No
/// sign-in: the token in the address is the credential. 404 for an unknown token.
#[utoipa::path(get, path = "/api/v1/ical/{file}", tag = "catalog", params(FeedPath),
    responses((status = 200, description = "The feed", content_type = "text/calendar", body = String)))]
async fn ical_feed(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<FeedPath>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let token = path
        .file
        .strip_suffix(".ics")
        .ok_or_else(|| ApiError::not_found("feed"))?;
    let text = state.app.ical_feed_text(token).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}

/// An OTA's calendar to import.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "airbnb", "ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270601\r\nDTEND;VALUE=DATE:20270604\r\nUID:1418fb94e984-a2bbd2b2e4b1@airbnb.com\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"}))]
pub struct IcalImportBody {
    /// Where the calendar comes from (`airbnb`, `booking.com`): a new import from the same
    /// source replaces its earlier blocks on the room.
    source: String,
    /// The .ics text.
    ics: String,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct IcalImportView {
    events: usize,
    /// Nights from today on the calendar blocks.
    nights: usize,
    /// Nights already taken by a booking or another source: not blocked, for staff to resolve.
    #[schema(value_type = Vec<String>)]
    conflicts: Vec<Date>,
}

/// Imports an OTA's iCalendar feed for the room as hard blocks (needs `manage_catalog`;
/// audited). 422 naming the line of a malformed calendar.
#[utoipa::path(post, path = "/api/v1/rooms/{id}/ical-import", tag = "catalog", params(IdPath),
    request_body = IcalImportBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Imported", body = IcalImportView)))]
async fn import_ical(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<IcalImportBody>,
) -> Result<Json<IcalImportView>, ApiError> {
    let outcome = state
        .app
        .import_ical(&p, path.id, &body.source, &body.ics)
        .await?;
    Ok(Json(IcalImportView {
        events: outcome.events,
        nights: outcome.nights,
        conflicts: outcome.conflicts,
    }))
}

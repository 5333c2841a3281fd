//! Tour packages, departures and lodging room types (seed 002 "产品介绍", seed 004 "房态";
//! issue 14 scope 1), their validators and their prices.
//!
//! Prices are integer fen. A departure is priced per traveler category (adult, child,
//! senior); a stay is the sum of its nights, each priced by the day that follows it
//! ([`DayKind`]): the night before a rest day is a weekend night, the night before a public
//! holiday a holiday night — the way Chinese homestays publish 周末价 and 节假日价. Which
//! day is a rest day or a holiday is the working-day calendar's answer (调休 included),
//! passed in as a function: this module reads no calendar.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::CatalogError;

/// A stay longer than this is refused (a room-status calendar, not a lease).
pub const MAX_STAY_NIGHTS: i32 = 90;

/// Where a tour goes: the two model contracts of 2014 differ (domestic 国内 and outbound
/// 出境), and so do their cancellation tiers and the go/no-go notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TourScopeName))]
pub enum TourScope {
    /// 国内游.
    Domestic,
    /// 出境游.
    Outbound,
}

impl TourScope {
    pub const ALL: [TourScope; 2] = [TourScope::Domestic, TourScope::Outbound];

    pub fn as_str(self) -> &'static str {
        match self {
            TourScope::Domestic => "domestic",
            TourScope::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Days before departure by which a group below its minimum size must be called off
    /// (issue 14 scope 6, from the 2014 model contracts: 7 days domestic, 30 outbound). The
    /// go/no-go date of a departure may not be later.
    pub fn go_no_go_notice_days(self) -> i32 {
        match self {
            TourScope::Domestic => 7,
            TourScope::Outbound => 30,
        }
    }
}

/// What kind of trip a product is (seed 002: 观光、休闲、探险、文化体验; issue 14 adds family
/// and senior-friendly). The customer's preferences use the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ProductTagName))]
pub enum Tag {
    Sightseeing,
    Leisure,
    Adventure,
    Culture,
    Family,
    SeniorFriendly,
}

impl Tag {
    pub const ALL: [Tag; 6] = [
        Tag::Sightseeing,
        Tag::Leisure,
        Tag::Adventure,
        Tag::Culture,
        Tag::Family,
        Tag::SeniorFriendly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tag::Sightseeing => "sightseeing",
            Tag::Leisure => "leisure",
            Tag::Adventure => "adventure",
            Tag::Culture => "culture",
            Tag::Family => "family",
            Tag::SeniorFriendly => "senior_friendly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The word the seed uses, for the reasons matching gives.
    pub fn label_zh(self) -> &'static str {
        match self {
            Tag::Sightseeing => "观光",
            Tag::Leisure => "休闲",
            Tag::Adventure => "探险",
            Tag::Culture => "文化体验",
            Tag::Family => "亲子",
            Tag::SeniorFriendly => "适合长者",
        }
    }
}

/// A diet a product can cater for (seed 002: 饮食禁忌). A customer's diet is a hard
/// constraint: a product that cannot serve it is never recommended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DietName))]
pub enum Diet {
    Vegetarian,
    Vegan,
    Halal,
    GlutenFree,
    NutFree,
    SeafoodFree,
}

impl Diet {
    pub const ALL: [Diet; 6] = [
        Diet::Vegetarian,
        Diet::Vegan,
        Diet::Halal,
        Diet::GlutenFree,
        Diet::NutFree,
        Diet::SeafoodFree,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Diet::Vegetarian => "vegetarian",
            Diet::Vegan => "vegan",
            Diet::Halal => "halal",
            Diet::GlutenFree => "gluten_free",
            Diet::NutFree => "nut_free",
            Diet::SeafoodFree => "seafood_free",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Diet::Vegetarian => "素食",
            Diet::Vegan => "纯素",
            Diet::Halal => "清真",
            Diet::GlutenFree => "无麸质",
            Diet::NutFree => "无坚果",
            Diet::SeafoodFree => "无海鲜",
        }
    }
}

/// Accessibility facts of a product (seed 002: 无障碍设施需求). Stated by staff, checked by
/// matching as hard constraints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accessibility {
    /// Every day of the itinerary (or the room and its way in) works in a wheelchair.
    pub wheelchair: bool,
    /// No day asks for long walks or climbs (informs the senior-friendly score only).
    pub easy_walking: bool,
}

/// A traveler's price category on a departure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TravelerCategoryName))]
pub enum TravelerCategory {
    Adult,
    Child,
    Senior,
}

impl TravelerCategory {
    pub const ALL: [TravelerCategory; 3] = [
        TravelerCategory::Adult,
        TravelerCategory::Child,
        TravelerCategory::Senior,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TravelerCategory::Adult => "adult",
            TravelerCategory::Child => "child",
            TravelerCategory::Senior => "senior",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who travels: counts per category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Party {
    pub adults: u32,
    pub children: u32,
    pub seniors: u32,
}

impl Party {
    /// Travelers in all; saturates rather than wrapping.
    pub fn size(&self) -> u32 {
        self.adults
            .saturating_add(self.children)
            .saturating_add(self.seniors)
    }

    /// At least one traveler; children travel with an adult or a senior (minors are not
    /// booked alone); at most 999 travelers.
    pub fn validate(&self) -> Result<(), CatalogError> {
        if self.size() == 0 {
            return Err(CatalogError::invalid("party", "empty"));
        }
        if self.size() > 999 {
            return Err(CatalogError::invalid("party", "too_large"));
        }
        if self.children > 0 && self.adults == 0 && self.seniors == 0 {
            return Err(CatalogError::invalid(
                "party.children",
                "needs_accompanying_adult",
            ));
        }
        Ok(())
    }
}

/// Prices of one departure per traveler category, in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryPrices {
    pub adult: i64,
    pub child: i64,
    pub senior: i64,
}

impl CategoryPrices {
    pub fn get(&self, category: TravelerCategory) -> i64 {
        match category {
            TravelerCategory::Adult => self.adult,
            TravelerCategory::Child => self.child,
            TravelerCategory::Senior => self.senior,
        }
    }
}

/// One day of an itinerary (行程).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItineraryDay {
    /// 1 for the departure day, consecutive.
    pub day: u16,
    pub title: String,
    pub description: String,
}

/// One line of a fee breakdown (费用明细): what part of the adult price pays for what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeeItem {
    pub label: String,
    pub amount_fen: i64,
}

/// A tour package (旅游线路) as sold by an agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TourPackage {
    /// Given by the server when the record is created.
    #[serde(default)]
    pub id: Uuid,
    pub name: String,
    /// Main destination as customers say it (云南, 大理, 日本).
    pub destination: String,
    /// Further words a customer may search by (cities, sights, themes).
    pub keywords: Vec<String>,
    pub scope: TourScope,
    pub tags: Vec<Tag>,
    pub accessibility: Accessibility,
    /// Diets the package's included meals cater for.
    pub diets: Vec<Diet>,
    pub itinerary: Vec<ItineraryDay>,
    pub inclusions: Vec<String>,
    pub exclusions: Vec<String>,
    pub fees: Vec<FeeItem>,
    /// 住宿标准, 交通, 用餐, 备注.
    pub accommodation: String,
    pub transport: String,
    pub meals: String,
    pub notes: String,
}

impl TourPackage {
    /// Days from departure to return, both included (the itinerary's length).
    pub fn days(&self) -> u16 {
        self.itinerary.len().try_into().unwrap_or(u16::MAX)
    }

    /// The sum of the fee breakdown, in fen.
    pub fn fee_total(&self) -> Result<i64, CatalogError> {
        self.fees.iter().try_fold(0i64, |sum, f| {
            sum.checked_add(f.amount_fen).ok_or(CatalogError::Overflow)
        })
    }

    /// A name and a destination; an itinerary of 1–60 days numbered 1, 2, 3… each with a
    /// title; no empty inclusion, exclusion or keyword; no tag or diet twice; fee lines with
    /// a label and a non-negative amount.
    pub fn validate(&self) -> Result<(), CatalogError> {
        not_blank(&self.name, "package.name")?;
        not_blank(&self.destination, "package.destination")?;
        if self.itinerary.is_empty() {
            return Err(CatalogError::invalid("package.itinerary", "empty"));
        }
        if self.itinerary.len() > 60 {
            return Err(CatalogError::invalid("package.itinerary", "too_long"));
        }
        for (i, day) in self.itinerary.iter().enumerate() {
            if usize::from(day.day) != i + 1 {
                return Err(CatalogError::invalid(
                    "package.itinerary.day",
                    "not_consecutive",
                ));
            }
            not_blank(&day.title, "package.itinerary.title")?;
        }
        for s in &self.inclusions {
            not_blank(s, "package.inclusions")?;
        }
        for s in &self.exclusions {
            not_blank(s, "package.exclusions")?;
        }
        for s in &self.keywords {
            not_blank(s, "package.keywords")?;
        }
        if has_duplicates(&self.tags) {
            return Err(CatalogError::invalid("package.tags", "duplicate"));
        }
        if has_duplicates(&self.diets) {
            return Err(CatalogError::invalid("package.diets", "duplicate"));
        }
        for fee in &self.fees {
            not_blank(&fee.label, "package.fees.label")?;
            if fee.amount_fen < 0 {
                return Err(CatalogError::invalid("package.fees.amount_fen", "negative"));
            }
        }
        self.fee_total().map(|_| ())
    }
}

/// One dated departure (团期) of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Departure {
    /// Given by the server when the record is created.
    #[serde(default)]
    pub id: Uuid,
    pub package_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    /// Seats sold at most (the inventory engine holds this; here it is the figure).
    pub seats: u32,
    /// The group goes ahead only with at least this many travelers (成团人数).
    pub min_group: u32,
    /// The day the agency decides whether the group goes (成团确认日).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub go_no_go: Date,
    pub prices: CategoryPrices,
    /// 集合时间, as travelers read it on the departure notice ("07:30").
    #[serde(default)]
    pub meeting_time: String,
    /// 集合地点 ("昆明长水国际机场 3号门").
    #[serde(default)]
    pub meeting_point: String,
    /// The guide or tour leader (导游/领队) travelers meet, as the pre-trip documents name
    /// them; empty until one is assigned.
    #[serde(default)]
    pub guide_name: String,
    /// The guide's work phone for the trip (a business contact printed on the documents).
    #[serde(default)]
    pub guide_phone: String,
}

/// The longest guide name and phone a departure takes.
pub const MAX_GUIDE_NAME: usize = 40;
pub const MAX_GUIDE_PHONE: usize = 30;

impl Departure {
    /// Seats 1–999; a minimum group of 1 up to the seats; a go/no-go date at least 7
    /// (domestic) or 30 (outbound) days before departure, so a group that does not form is
    /// called off in time ([`TourScope::go_no_go_notice_days`]); an adult price above zero and
    /// no negative price.
    pub fn validate(&self, scope: TourScope) -> Result<(), CatalogError> {
        if self.seats == 0 || self.seats > 999 {
            return Err(CatalogError::invalid("departure.seats", "out_of_range"));
        }
        if self.min_group == 0 || self.min_group > self.seats {
            return Err(CatalogError::invalid("departure.min_group", "out_of_range"));
        }
        let latest = self
            .date
            .checked_sub(jiff::Span::new().days(scope.go_no_go_notice_days()))
            .map_err(|_| CatalogError::invalid("departure.date", "out_of_range"))?;
        if self.go_no_go > latest {
            return Err(CatalogError::invalid("departure.go_no_go", "too_late"));
        }
        if self.prices.adult <= 0 {
            return Err(CatalogError::invalid(
                "departure.prices.adult",
                "not_positive",
            ));
        }
        if self.prices.child < 0 {
            return Err(CatalogError::invalid("departure.prices.child", "negative"));
        }
        if self.prices.senior < 0 {
            return Err(CatalogError::invalid("departure.prices.senior", "negative"));
        }
        check_guide(&self.guide_name, &self.guide_phone).map(|_| ())
    }

    /// The guide's name and phone, trimmed: both or neither given — a name alone is not
    /// enough to reach them, a phone alone says nobody to ask for — each on one line, the
    /// name at most [`MAX_GUIDE_NAME`] characters, the phone [`MAX_GUIDE_PHONE`] characters
    /// of digits, spaces, `+`, `-`, `(`, `)` and at least 5 digits (a landline with its
    /// area code, a mobile, an extension).
    pub fn set_guide(&mut self, name: &str, phone: &str) -> Result<(), CatalogError> {
        (self.guide_name, self.guide_phone) = check_guide(name, phone)?;
        Ok(())
    }

    /// The last day of the trip for a package of `days` days (the departure day for 1).
    pub fn return_date(&self, days: u16) -> Date {
        let extra = i32::from(days.max(1)) - 1;
        self.date
            .checked_add(jiff::Span::new().days(extra))
            .unwrap_or(Date::MAX)
    }

    /// The price of a party on this departure, in fen: each traveler at their category's
    /// price.
    pub fn price_for(&self, party: &Party) -> Result<i64, CatalogError> {
        party.validate()?;
        [
            (party.adults, self.prices.adult),
            (party.children, self.prices.child),
            (party.seniors, self.prices.senior),
        ]
        .into_iter()
        .try_fold(0i64, |sum, (n, price)| {
            price
                .checked_mul(i64::from(n))
                .and_then(|p| sum.checked_add(p))
                .ok_or(CatalogError::Overflow)
        })
    }
}

/// The guide's name and phone as they are kept (trimmed), or the field at fault.
fn check_guide(name: &str, phone: &str) -> Result<(String, String), CatalogError> {
    let name = crate::text::optional_single_line(name, MAX_GUIDE_NAME)
        .map_err(|e| CatalogError::invalid("departure.guide_name", e.code()))?;
    let phone = phone.trim();
    let name = match (name, phone.is_empty()) {
        (None, true) => return Ok((String::new(), String::new())),
        (None, false) => return Err(CatalogError::invalid("departure.guide_name", "required")),
        (Some(_), true) => return Err(CatalogError::invalid("departure.guide_phone", "required")),
        (Some(name), false) => name,
    };
    if phone.chars().count() > MAX_GUIDE_PHONE {
        return Err(CatalogError::invalid("departure.guide_phone", "too_long"));
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if digits < 5
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c))
    {
        return Err(CatalogError::invalid("departure.guide_phone", "invalid"));
    }
    Ok((name, phone.to_string()))
}

/// What kind of day a date is, as the working-day calendar says (调休 included): a working
/// day, a rest day (weekend or a weekend moved), or a public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DayKindName))]
pub enum DayKind {
    Working,
    RestDay,
    Holiday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Working => "working",
            DayKind::RestDay => "rest_day",
            DayKind::Holiday => "holiday",
        }
    }
}

/// A room type (房型) of a lodging property: its units are the rooms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomType {
    /// Given by the server when the record is created.
    #[serde(default)]
    pub id: Uuid,
    pub property_id: Uuid,
    pub name: String,
    /// Guests per room, children included.
    pub max_occupancy: u32,
    /// 独立卫浴, 观景阳台, 地暖…
    pub facilities: Vec<String>,
    pub accessibility: Accessibility,
    /// Rate of a night before a working day, in fen.
    pub base_rate: i64,
    /// Rate of a night before a rest day; the base rate when absent.
    pub weekend_rate: Option<i64>,
    /// Rate of a night before a public holiday; the weekend rate (or base) when absent.
    pub holiday_rate: Option<i64>,
}

/// One night of a stay and its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightPrice {
    /// The evening the night starts.
    pub date: Date,
    /// The kind of the morning after, which sets the rate.
    pub kind: DayKind,
    pub fen: i64,
}

/// The price of a stay in one room, night by night.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StayQuote {
    pub nights: Vec<NightPrice>,
    pub total_fen: i64,
}

impl RoomType {
    /// A name; occupancy 1–20; no blank facility; a base rate above zero and weekend and
    /// holiday rates above zero where given.
    pub fn validate(&self) -> Result<(), CatalogError> {
        not_blank(&self.name, "room_type.name")?;
        if self.max_occupancy == 0 || self.max_occupancy > 20 {
            return Err(CatalogError::invalid(
                "room_type.max_occupancy",
                "out_of_range",
            ));
        }
        for f in &self.facilities {
            not_blank(f, "room_type.facilities")?;
        }
        if self.base_rate <= 0 {
            return Err(CatalogError::invalid("room_type.base_rate", "not_positive"));
        }
        if self.weekend_rate.is_some_and(|r| r <= 0) {
            return Err(CatalogError::invalid(
                "room_type.weekend_rate",
                "not_positive",
            ));
        }
        if self.holiday_rate.is_some_and(|r| r <= 0) {
            return Err(CatalogError::invalid(
                "room_type.holiday_rate",
                "not_positive",
            ));
        }
        Ok(())
    }

    /// The rate of a night followed by a day of this kind.
    pub fn rate(&self, kind: DayKind) -> i64 {
        let weekend = self.weekend_rate.unwrap_or(self.base_rate);
        match kind {
            DayKind::Working => self.base_rate,
            DayKind::RestDay => weekend,
            DayKind::Holiday => self.holiday_rate.unwrap_or(weekend),
        }
    }

    /// The price of one room from `check_in` to `check_out` (the morning of departure, not a
    /// night): the sum of its nights, each at the rate of the day after it as `day_kind`
    /// says. 1 to [`MAX_STAY_NIGHTS`] nights.
    pub fn stay_price(
        &self,
        check_in: Date,
        check_out: Date,
        day_kind: impl Fn(Date) -> DayKind,
    ) -> Result<StayQuote, CatalogError> {
        let nights = nights_between(check_in, check_out)?;
        let mut total = 0i64;
        let mut out = Vec::with_capacity(nights.len());
        for date in nights {
            let next = date.tomorrow().map_err(|_| CatalogError::Overflow)?;
            let kind = day_kind(next);
            let fen = self.rate(kind);
            total = total.checked_add(fen).ok_or(CatalogError::Overflow)?;
            out.push(NightPrice { date, kind, fen });
        }
        Ok(StayQuote {
            nights: out,
            total_fen: total,
        })
    }
}

/// The nights of a stay: every date from check-in up to the day before check-out. Refuses a
/// check-out on or before the check-in and stays over [`MAX_STAY_NIGHTS`].
pub fn nights_between(check_in: Date, check_out: Date) -> Result<Vec<Date>, CatalogError> {
    if check_out <= check_in {
        return Err(CatalogError::invalid("check_out", "not_after_check_in"));
    }
    let span = check_in
        .until(check_out)
        .map_err(|_| CatalogError::invalid("check_out", "out_of_range"))?;
    let count = span.get_days();
    if count > MAX_STAY_NIGHTS {
        return Err(CatalogError::invalid("check_out", "stay_too_long"));
    }
    Ok(check_in
        .series(jiff::Span::new().days(1))
        .take(count as usize)
        .collect())
}

/// Fen as yuan the way a receipt shows it: `¥3,280` or `¥3,280.50`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let (whole, cents) = (abs / 100, abs % 100);
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if cents == 0 {
        format!("{sign}¥{grouped}")
    } else {
        format!("{sign}¥{grouped}.{cents:02}")
    }
}

fn not_blank(s: &str, field: &'static str) -> Result<(), CatalogError> {
    if s.trim().is_empty() {
        Err(CatalogError::invalid(field, "empty"))
    } else {
        Ok(())
    }
}

fn has_duplicates<T: Ord + Copy>(items: &[T]) -> bool {
    let mut v = items.to_vec();
    v.sort_unstable();
    v.windows(2).any(|w| w[0] == w[1])
}

//! Records and repository of working-day calendars: the calendar itself (zone, mode, weekly
//! hours) and its holiday arrangements, one per year.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::calendar::{CalendarMode, TimeRange, WeeklyHours, YearHolidays};
use uuid::Uuid;

/// A stored calendar. Its holiday years are kept apart ([`CalendarRepo::holiday_years`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarRecord {
    pub id: Uuid,
    /// Unique name SLA policies refer to, e.g. `cn-mainland`.
    pub name: String,
    /// IANA zone, e.g. `Asia/Shanghai`.
    pub zone: String,
    pub mode: CalendarMode,
    pub weekly: WeeklyHours,
    pub make_up_hours: Vec<TimeRange>,
    pub description: String,
    /// Bumped by every change of the calendar or one of its years, so caches can tell a
    /// calendar changed with one cheap read.
    pub revision: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A year of a calendar's holiday data, as listed (without its dates).
#[derive(Debug, Clone, PartialEq)]
pub struct HolidayYearSummary {
    pub year: i16,
    pub notice: Option<String>,
    pub holidays: u32,
    pub make_up_days: u32,
    pub updated_at: Timestamp,
}

#[async_trait]
pub trait CalendarRepo: Send {
    /// Inserts a calendar; a taken name is `Duplicate`.
    async fn insert_calendar(&mut self, cal: &CalendarRecord) -> Result<(), StoreError>;
    /// Inserts a calendar unless one has its name; true when inserted.
    async fn insert_calendar_if_absent(&mut self, cal: &CalendarRecord)
        -> Result<bool, StoreError>;
    /// Updates zone, mode, hours and description and bumps the revision; false when absent.
    async fn update_calendar(&mut self, cal: &CalendarRecord) -> Result<bool, StoreError>;
    /// Deletes a calendar and its years; false when absent.
    async fn delete_calendar(&mut self, id: Uuid) -> Result<bool, StoreError>;
    async fn get_calendar_by_name(
        &mut self,
        name: &str,
    ) -> Result<Option<CalendarRecord>, StoreError>;
    /// All calendars by name.
    async fn list_calendars(&mut self) -> Result<Vec<CalendarRecord>, StoreError>;

    /// Adds or replaces a year's arrangement and bumps the calendar's revision. With
    /// `replace = false` an existing year is left alone and false is returned.
    async fn put_holiday_year(
        &mut self,
        calendar_id: Uuid,
        year: &YearHolidays,
        replace: bool,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Removes a year; false when it was not there.
    async fn delete_holiday_year(
        &mut self,
        calendar_id: Uuid,
        year: i16,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Every year of a calendar with its festivals and dates, ascending.
    async fn holiday_years(&mut self, calendar_id: Uuid) -> Result<Vec<YearHolidays>, StoreError>;
    /// The years of a calendar with their counts, ascending.
    async fn holiday_year_summaries(
        &mut self,
        calendar_id: Uuid,
    ) -> Result<Vec<HolidayYearSummary>, StoreError>;
    /// Records that the administrators were warned that `year`'s arrangement is missing;
    /// true only for the first caller (a primary key holds it), who sends the warning.
    async fn claim_holiday_warning(
        &mut self,
        calendar_id: Uuid,
        year: i16,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
}

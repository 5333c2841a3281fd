//! The interface text of working-day calendars and holiday years (zh-CN, en): this capability's slice
//! of the one table [`crate::i18n`] reads.

use crate::i18n::Entry;

pub(crate) const TEXT: &[Entry] = &[
    ("cal.add", "新建日历", "Add a calendar"),
    ("cal.make_up_hours", "调休上班日时间", "Hours on make-up working days"),
    (
        "cal.add.hint",
        "每天的工作时间写成 09:00-18:00，多段用逗号分隔，留空表示休息；调休上班日留空时按周一计算。建好后在日历页导入节假日安排。",
        "Write each day's hours as 09:00-18:00, several with commas, empty for a day off; make-up working days follow Monday when left empty. Import the holiday arrangement on the calendar's page next.",
    ),
    ("cal.flash.created", "日历已创建，请导入节假日安排。", "Calendar added; import its holiday arrangement next."),
    ("weekday.mon", "周一", "Mon"),
    ("weekday.tue", "周二", "Tue"),
    ("weekday.wed", "周三", "Wed"),
    ("weekday.thu", "周四", "Thu"),
    ("weekday.fri", "周五", "Fri"),
    ("weekday.sat", "周六", "Sat"),
    ("weekday.sun", "周日", "Sun"),
    ("cal.title", "工作日历", "Working-day calendars"),
    (
        "cal.intro",
        "工作日按中国规定计算：周末和法定节假日休息，调休上班日照常工作。",
        "Working days follow China's rules: weekends and public holidays off, make-up working days worked.",
    ),
    ("cal.name", "名称", "Name"),
    ("cal.mode", "计时方式", "Mode"),
    ("cal.mode.office", "办公时间（节假日休息）", "Office hours (holidays off)"),
    ("cal.mode.always_open", "全天候（7×24）", "Always open (24×7)"),
    ("cal.zone", "时区", "Time zone"),
    ("cal.hours", "工作时间", "Working hours"),
    ("cal.years", "节假日数据", "Holiday data"),
    ("cal.festival", "节日", "Festival"),
    ("cal.off", "放假", "Days off"),
    ("cal.work", "调休上班", "Make-up working days"),
    ("cal.no_years", "尚无节假日数据，请导入。", "No holiday data yet; import a year."),
    ("cal.delete_year", "删除年份", "Delete year"),
    ("cal.imported", "已导入：", "Imported:"),
    (
        "cal.always_open",
        "全天候日历：节假日照常计时，无需节假日数据。",
        "Always open: holidays count as working time; no holiday data needed.",
    ),
    ("cal.import", "导入节假日安排", "Import a holiday arrangement"),
    (
        "cal.import.hint",
        "粘贴国务院办公厅节假日安排通知全文，或 TOML 数据文件内容。",
        "Paste the State Council's holiday notice, or the text of a TOML data file.",
    ),
    ("cal.import.format", "格式", "Format"),
    ("cal.import.notice", "国务院通知原文", "State Council notice text"),
    ("cal.import.toml", "TOML 数据文件", "TOML data file"),
    ("cal.import.shipped", "内置数据（2024–2026）", "Shipped data (2024–2026)"),
    ("cal.import.year", "年份（通知）", "Year (notice)"),
    ("cal.import.text", "内容", "Text"),
    ("cal.import.replace", "覆盖已有年份", "Replace years that exist"),
    ("cal.import.submit", "导入", "Import"),
    (
        "cal.import.year_required",
        "导入通知需要填写年份",
        "a notice import needs the year",
    ),
// Issue 11 item 1 (calendar): years without the State Council's holiday arrangement are
// computed on the provisional calendar and marked; administrators are warned.
    ("calendar.provisional", "暂定（待国务院放假安排）", "Provisional (awaiting the State Council holiday arrangement)"),
    ("calendar.provisional_short", "暂定", "Provisional"),
    (
        "calendar.provisional_hint",
        "该年尚无国务院放假安排：按周末加法定节假日（不含调休）暂定计算，导入安排后自动重算。",
        "No State Council arrangement for that year yet: computed on weekends plus statutory holidays (no make-up working days); recomputed when the arrangement is imported.",
    ),
    (
        "calendar.gap.current",
        "日历 {calendar} 缺少 {year} 年的国务院节假日安排，当年的到期时间正按暂定日历计算。请导入该年的放假安排。",
        "Calendar {calendar} has no State Council holiday arrangement for {year}: due instants this year are being computed on the provisional calendar. Please import the year's arrangement.",
    ),
    (
        "calendar.gap.next",
        "日历 {calendar} 尚无 {year} 年的国务院节假日安排（通常于 10–12 月发布）。发布后请及时导入；在此之前 {year} 年的到期时间按暂定日历计算。",
        "Calendar {calendar} has no State Council holiday arrangement for {year} yet (usually published October to December). Import it once published; until then due instants in {year} are computed on the provisional calendar.",
    ),
    ("calendar.gap.import", "导入放假安排", "Import the arrangement"),
    ("calendar.provisional_years", "暂定年份", "Provisional years"),
];

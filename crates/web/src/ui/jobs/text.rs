//! The interface text of the job substrate's admin page (zh-CN, en): this capability's slice
//! of the one table [`crate::i18n`] reads.

use crate::i18n::Entry;

pub(crate) const TEXT: &[Entry] = &[
    ("nav.jobs", "后台任务", "Background jobs"),
    ("jobs.title", "后台任务", "Background jobs"),
    ("jobs.all", "全部", "All"),
    ("jobs.state.due", "待执行", "Due"),
    ("jobs.state.running", "执行中", "Running"),
    ("jobs.state.succeeded", "已完成", "Succeeded"),
    ("jobs.state.dead", "已失败", "Dead"),
    ("jobs.none", "没有符合条件的任务。", "No jobs match."),
    ("jobs.kind", "任务类型", "Kind"),
    ("jobs.run_at", "执行时间", "Run at"),
    ("jobs.last_error", "最近错误", "Last error"),
    ("jobs.retry", "重新执行", "Retry"),
];

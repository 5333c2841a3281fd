//! The demo's web chats: one 李娜 is answering, two visitors waiting (they become tickets at
//! their deadline, three minutes after the demo starts, as an unanswered chat does).

use super::StartChat;
use crate::auth::Credential;
use crate::{App, AppError, Principal};

/// One demo chat: the visitor's name, phone and first message, then the lines that follow
/// (`true`: 李娜's).
type DemoChat = (&'static str, &'static str, &'static str, &'static [Line]);
/// A line after the first: by the agent (`true`) or the visitor.
type Line = (bool, &'static str);

const CHATS: &[DemoChat] = &[
    (
        "王建国",
        "13800138001",
        "你好，请问黄山西海大峡谷两日游，60 岁的老人能走吗？",
        &[
            (
                true,
                "您好！西海大峡谷台阶较多，建议老人家走到二段后乘地轨缆车返回，行程里已经安排了。",
            ),
            (false, "那太好了，下周六还有位置吗？两位。"),
        ],
    ),
    (
        "周婷",
        // A returning customer: the demo desk's 周婷 (her tickets and this chat make one
        // conversation on her record).
        "13910572009",
        "三亚五日亲子游可以带一岁的宝宝吗？需要额外付费吗？",
        &[],
    ),
    (
        "赵磊",
        "13600136003",
        "大理双廊的民宿可以开增值税发票吗？",
        &[],
    ),
];

impl App {
    /// Adds the demo's chats (see the module comment). Needs the demo's staff.
    pub(crate) async fn seed_demo_chats(&self) -> Result<(), AppError> {
        let agent = {
            let mut tx = self.store.read().await?;
            let user = tx
                .get_user_by_username("li.na")
                .await?
                .ok_or(AppError::NotFound("demo user"))?;
            Principal::of(&user, Credential::Console)
        };
        for (name, phone, first, rest) in CHATS {
            let started = self
                .start_chat(
                    StartChat {
                        name: (*name).into(),
                        phone: (*phone).into(),
                        message: (*first).into(),
                    },
                    None,
                )
                .await?;
            for (by_agent, text) in rest.iter() {
                if *by_agent {
                    self.agent_says(&agent, started.chat.id, text).await?;
                } else {
                    self.visitor_says(&started.token, text).await?;
                }
            }
        }
        Ok(())
    }
}

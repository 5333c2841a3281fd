//! The bell: a staff member's in-app notifications, unread count and marking read.

use super::*;

impl App {
    pub async fn my_notifications(
        &self,
        principal: &Principal,
        unread_only: bool,
        limit: u32,
    ) -> Result<(Vec<InAppNotification>, u64), AppError> {
        let mut tx = self.store.read().await?;
        let items = tx.list_inapp(principal.user_id, unread_only, limit).await?;
        let unread = tx.count_unread_inapp(principal.user_id).await?;
        Ok((items, unread))
    }

    pub async fn unread_count(&self, principal: &Principal) -> Result<u64, AppError> {
        let mut tx = self.store.read().await?;
        Ok(tx.count_unread_inapp(principal.user_id).await?)
    }

    /// Marks one notification (or with `None` all of them) read; returns the unread count.
    pub async fn mark_notifications_read(
        &self,
        principal: &Principal,
        id: Option<Uuid>,
    ) -> Result<u64, AppError> {
        let mut tx = self.store.write().await?;
        let changed = tx
            .mark_inapp_read(principal.user_id, id, self.now())
            .await?;
        if changed == 0 && id.is_some() {
            let exists = tx
                .list_inapp(principal.user_id, false, 500)
                .await?
                .iter()
                .any(|n| Some(n.id) == id);
            if !exists {
                return Err(AppError::NotFound("notification"));
            }
        }
        let unread = tx.count_unread_inapp(principal.user_id).await?;
        tx.commit().await?;
        Ok(unread)
    }
}

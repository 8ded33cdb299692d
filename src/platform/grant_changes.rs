//! WorkOS events' changes to grants, made by the Durable Object that keeps them
//! ([`GrantOwner`] on Workers; the object's side is `GrantGuard::change`).
use super::grants::{serialized, stub};
use crate::ids::{ids_of, ids_text, GrantId, UserId};
use crate::oauth::types::grant_object_name;
use crate::oauth::workos_events::{GrantChange, GrantOwner};
use crate::oauth::OAuthError;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use worker::Env;

/// A change a WorkOS event makes to some of one object's grants, sent to it (its `change`).
#[derive(Serialize, Deserialize)]
pub struct ChangeRequest {
    /// The grants' ids, each followed by a space ([`ids_text`]).
    pub grant_ids: String,
    pub user_id: UserId,
    pub change: GrantChange,
}

/// The grants' owner on Workers: the Durable Object that keeps them.
pub struct GrantObjects<'a> {
    pub env: &'a Env,
}

impl GrantOwner for GrantObjects<'_> {
    async fn change(
        &self,
        grants: &[GrantId],
        user: &UserId,
        change: &GrantChange,
    ) -> Result<Vec<GrantId>, OAuthError> {
        let unavailable = |e: String| {
            worker::console_warn!("grant object change failed: {e}");
            OAuthError::from(StoreError(e))
        };
        let Some(first) = grants.first() else { return Ok(Vec::new()) };
        // The object finds only the grants it keeps; any other would read as gone, unchanged.
        let object = grant_object_name(first.as_str());
        if grants.iter().any(|g| grant_object_name(g.as_str()) != object) {
            return Err(unavailable("one call carried grants of several objects".into()));
        }
        let request = ChangeRequest { grant_ids: ids_text(grants), user_id: user.clone(), change: change.clone() };
        let stub = stub(self.env, first.as_str()).map_err(|e| unavailable(e.to_string()))?;
        let answer = super::js::call(&stub, "change", &[serialized(&request).into()]).await.map_err(unavailable)?;
        // The ids of the grants changed.
        Ok(ids_of(&answer.as_string().unwrap_or_default()))
    }
}

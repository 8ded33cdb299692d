//! The scripted WorkOS of the authorization server's flow tests (`flow_tests.rs`): the calls the
//! server makes, answered as WorkOS answers them, with switches for what an admin or an outage
//! changes.
use super::{ACME, ALICE, T0};
use crate::outbound::{HttpRequest, HttpResponse, TransportError};
use crate::testing::{json_response, mint, test_jwks};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub(super) type Handler = Box<dyn Fn(&HttpRequest) -> Result<HttpResponse, TransportError>>;

/// A scripted WorkOS whose admin can change alice's role and end her WorkOS session.
pub(super) struct Upstream {
    pub(super) role: Rc<RefCell<String>>,
    pub(super) ended: Rc<Cell<bool>>,
    /// When set, every WorkOS call answers this status; 200 means a body that is not JSON.
    pub(super) glitch: Rc<Cell<Option<u16>>>,
    /// When set, only membership lookups answer 429 (after WorkOS has rotated the refresh token).
    pub(super) memberships_limited: Rc<Cell<bool>>,
    /// Alice is no longer a member of Acme.
    pub(super) removed: Rc<Cell<bool>>,
    /// The admin role no longer carries image_generation.
    pub(super) admin_without_images: Rc<Cell<bool>>,
    /// Alice also holds the `imager` role (WorkOS's multiple roles), which carries
    /// image_generation unless `imager_without_images`.
    pub(super) imager: Rc<Cell<bool>>,
    pub(super) imager_without_images: Rc<Cell<bool>>,
    /// A refresh answers for another user (never expected of WorkOS).
    pub(super) someone_else: Rc<Cell<bool>>,
    /// A refresh's access token names an issuer this server does not accept.
    pub(super) unverifiable: Rc<Cell<bool>>,
}

impl Upstream {
    /// Alice is an admin of Acme (whose role carries image_generation), signed in.
    pub(super) fn new() -> Upstream {
        Upstream {
            role: Rc::new(RefCell::new("admin".into())),
            ended: Rc::new(Cell::new(false)),
            glitch: Rc::new(Cell::new(None)),
            memberships_limited: Rc::new(Cell::new(false)),
            removed: Rc::new(Cell::new(false)),
            admin_without_images: Rc::new(Cell::new(false)),
            imager: Rc::new(Cell::new(false)),
            imager_without_images: Rc::new(Cell::new(false)),
            someone_else: Rc::new(Cell::new(false)),
            unverifiable: Rc::new(Cell::new(false)),
        }
    }
}

pub(super) fn workos(up: &Upstream) -> Handler {
    let (role, ended, glitch, limited) =
        (up.role.clone(), up.ended.clone(), up.glitch.clone(), up.memberships_limited.clone());
    let (removed, admin_without_images) = (up.removed.clone(), up.admin_without_images.clone());
    let (imager, imager_without_images) = (up.imager.clone(), up.imager_without_images.clone());
    let (someone_else, unverifiable) = (up.someone_else.clone(), up.unverifiable.clone());
    let role_permissions = move |slug: &str| match slug {
        "admin" if !admin_without_images.get() => vec!["image_generation"],
        "imager" if !imager_without_images.get() => vec!["image_generation"],
        _ => vec![],
    };
    let counter = Rc::new(Cell::new(0u32));
    // WorkOS rotates refresh tokens: each works once.
    let used: Rc<RefCell<std::collections::HashSet<String>>> = Rc::default();
    Box::new(move |req| {
        match glitch.get() {
            Some(200) => {
                return Ok(HttpResponse { status: 200, headers: vec![], body: b"<html>proxy error</html>".to_vec() })
            }
            Some(status) => return Ok(json_response(status, json!({"message": "unavailable"}))),
            None => {}
        }
        let url = url::Url::parse(&req.url).unwrap();
        let body: Value = req.body.as_ref().map(|b| serde_json::from_slice(b).unwrap()).unwrap_or(Value::Null);
        let user =
            json!({"object":"user","id":ALICE,"email":"alice@example.com","first_name":"Alice","last_name":"Admin"});
        let role = role.borrow().clone();
        let roles: Vec<&str> = std::iter::once(role.as_str()).chain(imager.get().then_some("imager")).collect();
        let mut perms: Vec<&str> = roles.iter().flat_map(|r| role_permissions(r)).collect();
        perms.dedup();
        let role_refs: Vec<Value> = roles.iter().map(|r| json!({"slug": r})).collect();
        match url.path() {
            "/sso/jwks/client_test" => Ok(json_response(200, serde_json::from_str(&test_jwks()).unwrap())),
            "/user_management/organization_memberships" if limited.get() => {
                Ok(json_response(429, json!({"message":"Too Many Requests","code":"rate_limit_exceeded"})))
            }
            "/user_management/organization_memberships" if removed.get() => {
                Ok(json_response(200, json!({"object":"list","list_metadata":{},"data":[]})))
            }
            "/user_management/organization_memberships" => Ok(json_response(
                200,
                json!({"object":"list","list_metadata":{},"data":[
                {"object":"organization_membership","id":"om_1","user_id":ALICE,"organization_id":ACME,"organization_name":"Acme","status":"active","role":{"slug":role},"roles":role_refs}]}),
            )),
            "/user_management/authenticate" if body["grant_type"] == "refresh_token" => {
                if ended.get() {
                    return Ok(json_response(
                        400,
                        json!({"error":"invalid_grant","error_description":"Session has ended."}),
                    ));
                }
                if !used.borrow_mut().insert(body["refresh_token"].as_str().unwrap_or_default().to_string()) {
                    return Ok(json_response(400, json!({"message":"Invalid refresh token","code":"invalid_grant"})));
                }
                counter.set(counter.get() + 1);
                let sub = if someone_else.get() { "user_mallory" } else { ALICE };
                let mut user = user;
                user["id"] = json!(sub);
                let iss = if unverifiable.get() { "https://issuer.example" } else { "https://api.workos.com" };
                let at = mint(
                    json!({"iss":iss,"sub":sub,"sid":"session_1","org_id":body["organization_id"],"role":role,"roles":roles,"permissions":perms,"exp":T0 + 365 * 86_400,"iat":T0}),
                );
                Ok(json_response(
                    200,
                    json!({"user":user,"organization_id":ACME,"access_token":at,"refresh_token":format!("wrt-{}", counter.get())}),
                ))
            }
            path if path.starts_with("/authorization/roles/") => {
                let slug = path.trim_start_matches("/authorization/roles/");
                Ok(json_response(200, json!({"object":"role","slug":slug,"permissions":role_permissions(slug)})))
            }
            "/organizations/org_acme" => {
                Ok(json_response(200, json!({"object":"organization","id":ACME,"name":"Acme"})))
            }
            path if path == format!("/user_management/users/{ALICE}") => Ok(json_response(200, user)),
            other => panic!("unexpected WorkOS call {other}"),
        }
    })
}

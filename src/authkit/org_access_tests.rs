use super::*;
use crate::outbound::{HttpRequest, HttpResponse, TransportError};
use crate::store::MemoryStore;
use crate::testing::{json_response, ScriptedHttp};
use futures_executor::block_on;
use serde_json::{json, Value};
use std::rc::Rc;

const BASE: &str = "https://api.workos.test";
const ORG: &str = "org_01ACME";
const USER: &str = "user_01ALICE";
const NOW: u64 = 1_800_000_000;

/// A small WorkOS: one membership (its JSON is editable), environment roles with their
/// permissions, an organization; `down` answers 503 to everything.
struct World {
    membership: Value,
    env_roles: Vec<(&'static str, Option<Vec<&'static str>>)>,
    org_roles: Vec<(&'static str, Vec<&'static str>)>,
    /// `GET /organizations/{id}` and `GET /user_management/users/{id}` answer 500.
    org_name_fails: bool,
    down: bool,
}

impl World {
    fn new() -> Rc<RefCell<World>> {
        Rc::new(RefCell::new(World {
            membership: json!({"object":"organization_membership","id":"om_1","user_id":USER,"organization_id":ORG,
                               "organization_name":"Acme Corp","status":"active","role":{"slug":"admin"},"roles":[{"slug":"admin"}],
                               "user":{"object":"user","id":USER,"email":"alice@example.com","first_name":"Alice","last_name":"Liddell"}}),
            env_roles: vec![
                ("admin", Some(vec!["image_generation", "reports:read"])),
                ("member", Some(vec!["reports:read"])),
            ],
            org_roles: vec![],
            org_name_fails: false,
            down: false,
        }))
    }
}

type Handler = Box<dyn Fn(&HttpRequest) -> Result<HttpResponse, TransportError>>;

fn workos_http(world: &Rc<RefCell<World>>) -> ScriptedHttp<Handler> {
    let world = Rc::clone(world);
    ScriptedHttp::new(Box::new(move |req: &HttpRequest| {
        let w = world.borrow();
        if w.down {
            return Ok(json_response(503, json!({"message": "unavailable"})));
        }
        let url = url::Url::parse(&req.url).unwrap();
        let segments: Vec<&str> = url.path_segments().unwrap().collect();
        let not_found = || Ok(json_response(404, json!({"message": "Not Found", "code": "not_found"})));
        let role_json = |slug: &str, perms: &Option<Vec<&str>>| {
            let mut r = json!({"object": "role", "slug": slug, "name": slug});
            if let Some(p) = perms {
                r["permissions"] = json!(p);
            }
            r
        };
        match segments.as_slice() {
            ["user_management", "organization_memberships"] => {
                let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
                assert_eq!(
                    q.get("statuses").map(String::as_str),
                    Some("active,inactive,pending"),
                    "the spec's form style, one parameter"
                );
                assert_eq!(q.get("user_id").map(String::as_str), Some(USER));
                assert_eq!(q.get("organization_id").map(String::as_str), Some(ORG));
                Ok(json_response(200, json!({"object": "list", "data": [w.membership.clone()], "list_metadata": {}})))
            }
            ["authorization", "roles", slug] => match w.env_roles.iter().find(|(s, _)| s == slug) {
                Some((s, p)) => Ok(json_response(200, role_json(s, p))),
                None => not_found(),
            },
            ["authorization", "organizations", org, "roles", slug] if *org == ORG => {
                match w.org_roles.iter().find(|(s, _)| s == slug) {
                    Some((s, p)) => Ok(json_response(200, role_json(s, &Some(p.clone())))),
                    None => not_found(),
                }
            }
            ["organizations", org] if *org == ORG && !w.org_name_fails => {
                Ok(json_response(200, json!({"object": "organization", "id": ORG, "name": "Acme (by id)"})))
            }
            ["organizations", _] => Ok(json_response(500, json!({}))),
            ["user_management", "users", id] if *id == USER && !w.org_name_fails => Ok(json_response(
                200,
                json!({"object": "user", "id": USER, "email": "alice@users.test", "first_name": "Alice", "last_name": null}),
            )),
            ["user_management", "users", _] => Ok(json_response(500, json!({}))),
            other => panic!("unexpected WorkOS call {other:?}"),
        }
    }) as Handler)
}

fn client<H: HttpClient>(h: &H) -> WorkosClient<'_, H> {
    WorkosClient { http: h, base_url: BASE, client_id: "client_1", api_key: "sk_test_1", now: NOW }
}

fn fetch_now(world: &Rc<RefCell<World>>) -> (Result<Option<OrgAccess>, WorkosError>, Vec<String>) {
    let http = workos_http(world);
    let out = block_on(fetch(&client(&http), USER, ORG));
    (out, http.paths())
}

#[test]
fn an_active_member_gets_the_permissions_of_their_role_and_the_organization_name() {
    let world = World::new();
    let (out, paths) = fetch_now(&world);
    let access = out.unwrap().expect("a member");
    assert_eq!(access.permissions, vec!["image_generation", "reports:read"]);
    assert_eq!(access.role.as_deref(), Some("admin"));
    assert_eq!(access.organization_name.as_deref(), Some("Acme Corp"));
    assert_eq!(access.email.as_deref(), Some("alice@example.com"));
    assert_eq!(access.name.as_deref(), Some("Alice Liddell"));
    assert_eq!(paths, vec!["/user_management/organization_memberships", "/authorization/roles/admin"]);
}

#[test]
fn several_roles_give_the_union_of_their_permissions_highest_priority_role_first() {
    let world = World::new();
    world.borrow_mut().membership["roles"] = json!([{"slug": "member"}, {"slug": "admin"}]);
    world.borrow_mut().membership["role"] = json!({"slug": "member"});
    let access = fetch_now(&world).0.unwrap().unwrap();
    assert_eq!(access.role.as_deref(), Some("member"));
    assert_eq!(access.permissions, vec!["reports:read", "image_generation"], "deduplicated, first-seen order");
}

#[test]
fn without_roles_the_single_role_is_used() {
    let world = World::new();
    world.borrow_mut().membership.as_object_mut().unwrap().remove("roles");
    world.borrow_mut().membership["role"] = json!({"slug": "member"});
    assert_eq!(fetch_now(&world).0.unwrap().unwrap().permissions, vec!["reports:read"]);
}

#[test]
fn a_custom_organization_role_is_found_when_no_environment_role_has_the_slug() {
    let world = World::new();
    world.borrow_mut().membership["roles"] = json!([{"slug": "org-reviewer"}]);
    world.borrow_mut().membership["role"] = json!({"slug": "org-reviewer"});
    world.borrow_mut().org_roles = vec![("org-reviewer", vec!["image_generation"])];
    let (out, paths) = fetch_now(&world);
    assert_eq!(out.unwrap().unwrap().permissions, vec!["image_generation"]);
    assert_eq!(
        paths[1..],
        ["/authorization/roles/org-reviewer", "/authorization/organizations/org_01ACME/roles/org-reviewer"]
    );
}

#[test]
fn a_role_object_without_permissions_is_malformed_not_an_empty_set() {
    // The spec makes `permissions` required; a role without it is not read as "no permissions".
    let world = World::new();
    world.borrow_mut().env_roles = vec![("admin", None)];
    let (out, paths) = fetch_now(&world);
    assert!(matches!(out, Err(WorkosError::Malformed { .. })), "{out:?}");
    assert_eq!(paths.last().map(String::as_str), Some("/authorization/roles/admin"), "no call outside the spec");
}

#[test]
fn the_role_shown_is_the_primary_one_and_permissions_cover_every_role() {
    let world = World::new();
    world.borrow_mut().membership["roles"] = json!([{"slug": "member"}, {"slug": "admin"}]);
    world.borrow_mut().membership["role"] = json!({"slug": "admin"});
    let access = fetch_now(&world).0.unwrap().unwrap();
    assert_eq!(access.role.as_deref(), Some("admin"), "the membership's role, not roles[0]");
    assert_eq!(access.permissions, vec!["reports:read", "image_generation"]);
}

#[test]
fn an_unknown_role_is_an_error_not_an_empty_permission_set() {
    let world = World::new();
    world.borrow_mut().membership["roles"] = json!([{"slug": "ghost"}]);
    world.borrow_mut().membership["role"] = json!({"slug": "ghost"});
    assert!(matches!(fetch_now(&world).0, Err(WorkosError::Api { status: 404, .. })));
}

#[test]
fn no_active_membership_means_no_access_and_no_role_lookups() {
    for status in ["inactive", "pending"] {
        let world = World::new();
        world.borrow_mut().membership["status"] = json!(status);
        let (out, paths) = fetch_now(&world);
        assert_eq!(out.unwrap(), None, "{status}");
        assert_eq!(paths.len(), 1, "{status}");
    }
    // A membership of someone else (WorkOS filters, but we check too).
    let world = World::new();
    world.borrow_mut().membership["user_id"] = json!("user_01MALLORY");
    assert_eq!(fetch_now(&world).0.unwrap(), None);
}

#[test]
fn a_membership_without_organization_name_or_user_asks_for_them_and_survives_their_failure() {
    let world = World::new();
    world.borrow_mut().membership.as_object_mut().unwrap().remove("organization_name");
    world.borrow_mut().membership.as_object_mut().unwrap().remove("user");
    let access = fetch_now(&world).0.unwrap().unwrap();
    assert_eq!(access.organization_name.as_deref(), Some("Acme (by id)"));
    assert_eq!((access.email.as_deref(), access.name.as_deref()), (Some("alice@users.test"), Some("Alice")));
    world.borrow_mut().org_name_fails = true;
    let access = fetch_now(&world).0.unwrap().unwrap();
    assert_eq!((access.organization_name, access.email, access.name), (None, None, None));
    assert_eq!(access.permissions, vec!["image_generation", "reports:read"], "the name is only shown");
}

// The cache: the isolate's and KV's copies, the failure pause, the events' marks.
#[path = "org_access_cache_tests.rs"]
mod cache;

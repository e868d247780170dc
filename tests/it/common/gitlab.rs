//! GitLab client settings for the tests, and a wiremock GitLab: mocks of
//! its REST and GraphQL answers.

use std::time::Duration;

use runner_medic::remediate::gitlab::{Gitlab, GitlabConfig, RunnerScope, Secret};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

/// The access token the wiremock tests send (fake).
pub const PAT: &str = "glpat-FAKEwiremockwiremock01";

/// Client settings for `url` with `token`: 100 requests/s, 5 s timeout,
/// 3 attempts, the whole instance in scope.
pub fn config(url: String, token: &str) -> GitlabConfig {
    GitlabConfig {
        url,
        token: Secret::new(token),
        rate: 100.0,
        timeout: Duration::from_secs(5),
        attempts: 3,
        scopes: vec![RunnerScope::Instance],
        ca_pem: None,
    }
}

/// A client of `server` with [`PAT`] and `scope`.
pub fn client(server: &MockServer, scope: RunnerScope) -> Gitlab {
    Gitlab::new(
        GitlabConfig {
            scopes: vec![scope],
            ..config(server.uri(), PAT)
        },
        None,
    )
    .unwrap()
}

/// A mock of `verb path`.
pub fn on(verb: &str, at: &str) -> MockBuilder {
    Mock::given(method(verb)).and(path(at))
}

/// An answer with `status` and a JSON body.
pub fn json(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// One page of the GraphQL runner listing.
pub fn page(nodes: serde_json::Value, next: bool, cursor: &str) -> serde_json::Value {
    serde_json::json!({"data": {"runners": {"pageInfo": {"hasNextPage": next, "endCursor": cursor}, "nodes": nodes}}})
}

/// The first page of the GraphQL runner listing (the query without a
/// cursor): group runner 5 (`Zx8Kq2Lm`), more after cursor `c1`.
pub async fn mount_first_page(server: &MockServer, times: Option<u64>) {
    let mock = on("POST", "/api/graphql")
        .and(body_string_contains("\"after\":null"))
        .respond_with(json(
            200,
            page(
                serde_json::json!([{"id": "gid://gitlab/Ci::Runner/5", "shortSha": "Zx8Kq2Lm", "runnerType": "GROUP_TYPE", "description": "a"}]),
                true,
                "c1",
            ),
        ));
    match times {
        Some(n) => mock.expect(n),
        None => mock,
    }
    .mount(server)
    .await;
}

/// Runner 6's record (`GET /api/v4/runners/6`) and its managers, each asked
/// for `times` times (any number when `None`).
pub async fn mount_record(
    server: &MockServer,
    record: serde_json::Value,
    managers: serde_json::Value,
    times: Option<u64>,
) {
    for (at, body) in [
        ("/api/v4/runners/6", record),
        ("/api/v4/runners/6/managers", managers),
    ] {
        let mock = on("GET", at).respond_with(json(200, body));
        match times {
            Some(n) => mock.expect(n),
            None => mock,
        }
        .mount(server)
        .await;
    }
}

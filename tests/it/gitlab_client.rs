//! The GitLab client against wiremock: error shapes, retries, pagination,
//! the GraphQL runner lookup, and no token in any error.

use std::time::Duration;

use runner_medic::event::RunnerId;
use runner_medic::remediate::gitlab::{Gitlab, GitlabConfig, GitlabError, RunnerScope};
use wiremock::matchers::{body_string_contains, header, query_param};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::gitlab::{PAT, client, config, json, mount_first_page, mount_record, on, page};

#[tokio::test]
async fn version_sends_the_token_header() {
    let server = MockServer::start().await;
    on("GET", "/api/v4/version")
        .and(header("PRIVATE-TOKEN", PAT))
        .respond_with(json(
            200,
            serde_json::json!({"version": "18.9.0", "revision": "x"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client(&server, RunnerScope::Instance)
            .version()
            .await
            .unwrap(),
        "18.9.0"
    );
}

#[tokio::test]
async fn a_403_with_a_reason_is_surfaced_without_the_token() {
    let server = MockServer::start().await;
    on("DELETE", "/api/v4/runners/6")
        .respond_with(json(
            403,
            serde_json::json!({"message": "403 Forbidden  - No access granted"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server, RunnerScope::Instance)
        .delete_runner(6)
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("answered 403: 403 Forbidden  - No access granted"),
        "{text}"
    );
    assert!(!text.contains("wiremock0001"), "{text}");
    assert_eq!(e.kind(), "auth");
}

#[tokio::test]
async fn a_404_on_delete_means_already_gone() {
    let server = MockServer::start().await;
    on("DELETE", "/api/v4/runners/6")
        .respond_with(json(
            404,
            serde_json::json!({"message": "404 Runner Not Found"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    on("DELETE", "/api/v4/runners/7")
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, RunnerScope::Instance);
    assert!(!c.delete_runner(6).await.unwrap());
    assert!(c.delete_runner(7).await.unwrap());
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    on("GET", "/api/v4/version")
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_string("Retry later\n"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    on("GET", "/api/v4/version")
        .respond_with(json(200, serde_json::json!({"version": "18.9.0"})))
        .expect(1)
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    assert!(
        client(&server, RunnerScope::Instance)
            .version()
            .await
            .is_ok()
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for Retry-After"
    );
}

#[tokio::test]
async fn server_errors_are_retried_only_for_repeatable_calls() {
    let server = MockServer::start().await;
    on("GET", "/api/v4/runners/6")
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .expect(3)
        .mount(&server)
        .await;
    on("POST", "/api/v4/runners/6/reset_authentication_token")
        .respond_with(json(
            500,
            serde_json::json!({"message": "500 Internal Server Error"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, RunnerScope::Instance);
    let e = c.runner(6).await.unwrap_err();
    assert_eq!(e.status(), Some(502));
    // A token reset is never repeated: a second one would lose the first token.
    assert_eq!(c.reset_token(6).await.unwrap_err().status(), Some(500));
}

#[tokio::test]
async fn rest_lists_follow_x_next_page() {
    let server = MockServer::start().await;
    for (page, next, ids) in [
        ("1", "2", vec![1, 2]),
        ("2", "3", vec![3, 4]),
        ("3", "", vec![5]),
    ] {
        let body: Vec<serde_json::Value> =
            ids.iter().map(|i| serde_json::json!({"id": i})).collect();
        on("GET", "/api/v4/runners")
            .and(query_param("page", page))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-next-page", next)
                    .set_body_json(body),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    assert_eq!(
        client(&server, RunnerScope::Instance)
            .list_runner_ids()
            .await
            .unwrap(),
        vec![1, 2, 3, 4, 5]
    );
}

#[tokio::test]
async fn the_runner_lookup_follows_graphql_cursors_and_matches_short_ids() {
    let server = MockServer::start().await;
    mount_first_page(&server, Some(1)).await;
    on("POST", "/api/graphql")
        .and(body_string_contains("\"after\":\"c1\""))
        .respond_with(json(200, page(
            serde_json::json!([{"id": "gid://gitlab/Ci::Runner/6", "shortSha": "HYErDk_6", "runnerType": "PROJECT_TYPE", "description": "b"}]),
            false,
            "c2",
        )))
        .expect(1)
        .mount(&server)
        .await;
    // The log prints 9 characters, GitLab's shortSha has 8: they match.
    let found = client(&server, RunnerScope::Instance)
        .find_runners(&RunnerId::normalize("HYErDk_6w").unwrap())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].id, found[0].short_sha.as_str()), (6, "HYErDk_6"));
}

#[tokio::test]
async fn graphql_errors_and_scoped_lookups() {
    let server = MockServer::start().await;
    on("POST", "/api/graphql")
        .and(body_string_contains("group(fullPath: $path)"))
        .and(body_string_contains("\"path\":\"platform/ci\""))
        .respond_with(json(200, serde_json::json!({"errors": [{"message": "The resource that you are attempting to access does not exist or you don't have permission"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server, RunnerScope::Group("platform/ci".into()))
        .find_runners(&RunnerId::normalize("HYErDk_6w").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, GitlabError::Unexpected { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("does not exist or you don't have permission"),
        "{e}"
    );
}

#[tokio::test]
async fn an_unreachable_gitlab_is_a_transport_error() {
    let c = Gitlab::new(
        GitlabConfig {
            timeout: Duration::from_secs(2),
            attempts: 1,
            ..config("http://127.0.0.1:9".into(), PAT)
        },
        None,
    )
    .unwrap();
    let e = c.version().await.unwrap_err();
    assert_eq!(e.kind(), "transport");
    assert!(!e.to_string().contains("wiremock0001"));
}

#[tokio::test]
async fn a_listing_that_cannot_be_complete_is_an_error_not_an_answer() {
    let id = RunnerId::normalize("HYErDk_6w").unwrap();
    // More pages announced, but no cursor to ask for them.
    let server = MockServer::start().await;
    on("POST", "/api/graphql")
        .respond_with(json(
            200,
            serde_json::json!({"data": {"runners": {
                "pageInfo": {"hasNextPage": true, "endCursor": null}, "nodes": []}}}),
        ))
        .mount(&server)
        .await;
    let e = client(&server, RunnerScope::Instance)
        .find_runners(&id)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("listing is incomplete"), "{e}");
    // No pageInfo at all: whether more follow cannot be told.
    let server = MockServer::start().await;
    on("POST", "/api/graphql")
        .respond_with(json(
            200,
            serde_json::json!({"data": {"runners": {"nodes": []}}}),
        ))
        .mount(&server)
        .await;
    let e = client(&server, RunnerScope::Instance)
        .find_runners(&id)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("hasNextPage"), "{e}");
    // A second page that fails after the retries: the first page's
    // "no match" is not taken as an answer.
    let server = MockServer::start().await;
    mount_first_page(&server, None).await;
    on("POST", "/api/graphql")
        .and(body_string_contains("\"after\":\"c1\""))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .expect(3)
        .mount(&server)
        .await;
    let e = client(&server, RunnerScope::Instance)
        .find_runners(&id)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(500), "{e}");
}

#[tokio::test]
async fn the_record_reads_contacts_of_the_runner_and_its_managers() {
    let server = MockServer::start().await;
    mount_record(
        &server,
        serde_json::json!({
            "id": 6, "description": "gitlab-runner-7d9c6b5f4-x2x7k", "runner_type": "project_type",
            "contacted_at": "2026-03-02T08:01:57.000Z", "token_expires_at": null, "status": "online"}),
        serde_json::json!([
            {"id": 8, "system_id": "r_abc123def456", "contacted_at": "2026-03-02T08:01:57.000Z"},
            {"id": 9, "system_id": "r_0123456789ab", "contacted_at": "2026-03-02T09:30:00.000Z"}]),
        Some(1),
    )
    .await;
    let r = client(&server, RunnerScope::Instance)
        .record(6)
        .await
        .unwrap();
    assert_eq!(r.description, "gitlab-runner-7d9c6b5f4-x2x7k");
    assert_eq!(r.managers.len(), 2);
    // The newest contact of any manager counts.
    assert_eq!(
        r.last_contact(),
        Some("2026-03-02T09:30:00Z".parse().unwrap())
    );
    // An unreadable time is an error, not "never contacted".
    let server = MockServer::start().await;
    mount_record(
        &server,
        serde_json::json!({"id": 6, "contacted_at": "yesterday"}),
        serde_json::json!([]),
        None,
    )
    .await;
    let e = client(&server, RunnerScope::Instance)
        .record(6)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("unreadable time"), "{e}");
}

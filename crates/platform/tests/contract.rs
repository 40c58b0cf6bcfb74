//! `docs/platform-openapi.yaml` and the client agree: enums, request fields,
//! required and optional job fields, paths.

use std::collections::BTreeSet;

use cf_core::Priority;
use cf_platform::{JobRequest, JobStatus, Provider};
use serde_json::{Value, json};

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/platform-openapi.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

fn schema<'a>(spec: &'a Value, name: &str) -> &'a Value {
    &spec["components"]["schemas"][name]
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn enums_match() {
    let spec = spec();
    let providers: Vec<_> = Provider::ALL
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    assert_eq!(strings(&schema(&spec, "Provider")["enum"]), providers);
    let statuses: Vec<_> = JobStatus::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    assert_eq!(strings(&schema(&spec, "JobStatus")["enum"]), statuses);
    let priorities: Vec<_> = Priority::ALL
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    assert_eq!(strings(&schema(&spec, "Priority")["enum"]), priorities);
}

#[test]
fn the_request_body_is_the_documented_one() {
    let spec = spec();
    let request = JobRequest {
        provider: Provider::Gpu,
        prompt: "p".into(),
        priority: Priority::Low,
        project: "proj".into(),
        task_id: "t".into(),
    };
    let sent = serde_json::to_value(&request).unwrap();
    let sent_fields: BTreeSet<_> = sent.as_object().unwrap().keys().cloned().collect();
    let documented = schema(&spec, "JobRequest");
    let required: BTreeSet<_> = strings(&documented["required"]).into_iter().collect();
    let properties: BTreeSet<_> = documented["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(sent_fields, required);
    assert_eq!(sent_fields, properties);
}

#[test]
fn documented_paths_and_statuses() {
    let spec = spec();
    assert!(spec["paths"]["/v1/jobs"]["post"]["responses"]["202"].is_object());
    assert!(spec["paths"]["/v1/jobs/{id}"]["get"]["responses"]["200"].is_object());
    assert_eq!(spec["openapi"], json!("3.1.0"));
}

/// Every documented required field of `Job` is required by the decoder (its absence
/// is an error naming it) and every other documented field is optional.
#[tokio::test]
async fn job_fields_required_exactly_as_documented() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let spec = spec();
    let documented = schema(&spec, "Job");
    let required: BTreeSet<_> = strings(&documented["required"]).into_iter().collect();
    let full = json!({
        "id": "j", "status": "completed", "provider": "gpu", "result": "r", "error": null,
        "cost_usd": 0.5, "submitted_at": "2026-04-17T02:00:00Z",
        "started_at": "2026-04-17T02:00:01Z", "finished_at": "2026-04-17T02:00:02Z",
    });
    let properties = documented["properties"].as_object().unwrap();
    let full_fields: BTreeSet<_> = full.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        full_fields,
        properties.keys().cloned().collect::<BTreeSet<_>>()
    );

    for field in properties.keys() {
        let server = MockServer::start().await;
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(field);
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        let mut cfg = cf_platform::PlatformConfig::new(
            cf_platform::Url::parse(&server.uri()).unwrap(),
            cf_platform::ApiKey::new("k"),
        );
        cfg.max_elapsed = std::time::Duration::from_secs(2);
        let client = cf_platform::PlatformClient::new(cfg).unwrap();
        let outcome = client.get_job(&cf_platform::JobId::new("j")).await;
        if required.contains(field) {
            match outcome {
                Err(cf_platform::PlatformError::InvalidBody { field: named, .. }) => {
                    assert_eq!(&named, field)
                }
                other => panic!("without `{field}` expected InvalidBody, got {other:?}"),
            }
        } else {
            assert!(
                outcome.is_ok(),
                "`{field}` is optional in the spec: {outcome:?}"
            );
        }
    }
}

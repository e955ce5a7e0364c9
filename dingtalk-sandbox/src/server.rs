//! The HTTP side of the sandbox: connections, routing, faults, answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::endpoint::{Endpoint, Exchange, Fault, Received};
use crate::openapi;
use crate::rules::{self, Refusal};
use dingtalk_core::spec;

/// Bodies past this are drained without being kept: far over DingTalk's limit, they are
/// refused anyway.
const READ_LIMIT: usize = 1 << 20;

/// Accepts connections until the task is aborted; aborting it closes every connection too.
pub(crate) async fn serve(listener: TcpListener, endpoint: Arc<Endpoint>) {
    let mut connections = JoinSet::new();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin.
                tracing::warn!(error = %e, "sandbox: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        endpoint.connections.fetch_add(1, Ordering::Relaxed);
        let endpoint = Arc::clone(&endpoint);
        connections.spawn(async move {
            let service = service_fn(move |request| handle(Arc::clone(&endpoint), peer, request));
            // An error here is the client going away, or a dropped connection played as a
            // fault: nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        // Reap finished connections so the set does not grow for the sandbox's lifetime.
        while connections.try_join_next().is_some() {}
    }
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a sandbox fault")
    }
}

impl std::error::Error for DropConnection {}

type Answer = Response<Full<Bytes>>;

async fn handle(
    endpoint: Arc<Endpoint>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Result<Answer, DropConnection> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut exchange = Exchange {
        method: method.to_string(),
        path: path.clone(),
        status: None,
        errcode: None,
        errmsg: None,
        payload: None,
        fault: None,
        duplicate: false,
        code: None,
    };
    let mut delay = None;
    let result = match (&method, path.as_str()) {
        (&Method::POST, spec::SEND_PATH) => {
            robot_send(&endpoint, peer, request, &mut exchange, &mut delay).await
        }
        (&Method::POST, spec::openapi::ACCESS_TOKEN_PATH) => {
            let body = read_body(request.into_body()).await?.unwrap_or_default();
            if let Some(played) = app_fault(&endpoint, &mut exchange, &mut delay) {
                return finish(&endpoint, exchange, delay, played).await;
            }
            let mut state = endpoint.state();
            let answer = openapi::issue_token(&endpoint.openapi, &mut state.openapi, &body);
            drop(state);
            Ok(openapi_answer(&mut exchange, answer))
        }
        (
            &Method::POST,
            path @ (spec::openapi::BATCH_SEND_PATH | spec::openapi::GROUP_SEND_PATH),
        ) => {
            let path = if path == spec::openapi::BATCH_SEND_PATH {
                spec::openapi::BATCH_SEND_PATH
            } else {
                spec::openapi::GROUP_SEND_PATH
            };
            let token = request
                .headers()
                .get(spec::openapi::ACCESS_TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = read_body(request.into_body()).await?.unwrap_or_default();
            if let Some(played) = app_fault(&endpoint, &mut exchange, &mut delay) {
                return finish(&endpoint, exchange, delay, played).await;
            }
            let mut state = endpoint.state();
            let answer = openapi::send(
                &endpoint.openapi,
                &mut state.openapi,
                path,
                token.as_deref(),
                &body,
            )
            .map(|(answer, message)| {
                state.app_messages.push(message);
                answer
            });
            drop(state);
            Ok(openapi_answer(&mut exchange, answer))
        }
        (&Method::GET, "/_sandbox/messages") => {
            let state = endpoint.state();
            // Webhook bodies and OpenAPI messages, in order of arrival.
            let mut listed: Vec<(std::time::SystemTime, serde_json::Value)> = state
                .received
                .items
                .iter()
                .map(|r| (r.at, r.json()))
                .chain(state.app_messages.items.iter().map(|m| (m.at, m.json())))
                .collect();
            drop(state);
            listed.sort_by_key(|(at, _)| *at);
            let bodies = listed.into_iter().map(|(_, body)| body).collect();
            Ok(json(StatusCode::OK, serde_json::Value::Array(bodies)))
        }
        (&Method::DELETE, "/_sandbox/messages") => {
            endpoint.state().clear_received();
            Ok(json(StatusCode::OK, serde_json::json!({"cleared": true})))
        }
        (_, spec::SEND_PATH | "/_sandbox/messages") => {
            Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"))
        }
        _ => Ok(plain(StatusCode::NOT_FOUND, "not found")),
    };
    finish(&endpoint, exchange, delay, result).await
}

/// Records the exchange, tells the subscribers, waits out a delay, and answers.
async fn finish(
    endpoint: &Endpoint,
    mut exchange: Exchange,
    delay: Option<std::time::Duration>,
    result: Result<Answer, DropConnection>,
) -> Result<Answer, DropConnection> {
    exchange.status = result.as_ref().ok().map(|answer| answer.status().as_u16());
    {
        let mut state = endpoint.state();
        if exchange.is_refused_robot_request() {
            state.refusals.push(exchange.clone());
        }
        state.exchanges.push(exchange.clone());
        // Nobody listening is fine.
        let _ = endpoint.events.send(exchange);
    }
    // Handled and recorded already: if the client gives up waiting, the message stays
    // delivered, as a message whose answer was lost on the way back.
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    result
}

async fn robot_send(
    endpoint: &Endpoint,
    peer: SocketAddr,
    request: Request<Incoming>,
    exchange: &mut Exchange,
    delay: &mut Option<std::time::Duration>,
) -> Result<Answer, DropConnection> {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Read the whole request first, as DingTalk does before it answers.
    let body = read_body(request.into_body()).await?;

    let fault = endpoint.state().next_fault();
    if let Some(fault) = &fault {
        exchange.fault = Some(fault.clone());
        match fault {
            Fault::Drop => return Err(DropConnection),
            Fault::Status(status) => {
                let status =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return Ok(plain(status, status.canonical_reason().unwrap_or("error")));
            }
            Fault::Answer { errcode, errmsg } => {
                return Ok(refuse(
                    exchange,
                    &Refusal {
                        errcode: *errcode,
                        errmsg: errmsg.clone(),
                    },
                ));
            }
            Fault::Refuse {
                status,
                code,
                message,
            } => return Ok(openapi_refusal(exchange, *status, code, message)),
            Fault::Delay(d) => *delay = Some(*d),
        }
    }

    // A body past the read limit is certainly too long: let the size rule answer it.
    let oversized;
    let body = match &body {
        Some(body) => body,
        None => {
            oversized = Bytes::from(vec![b' '; spec::MAX_BODY_BYTES + 1]);
            &oversized
        }
    };
    let request = rules::Request {
        peer: peer.ip(),
        query: &query,
        content_type: content_type.as_deref(),
        body,
    };
    let robot = &endpoint.robot;
    if let Err(refusal) = robot.authenticate(&request) {
        return Ok(refuse(exchange, &refusal));
    }
    if let Err(refusal) = endpoint.state().limiter.admit(tokio::time::Instant::now()) {
        return Ok(refuse(exchange, &refusal));
    }
    let accepted = match robot.read_message(&request) {
        Ok(accepted) => accepted,
        Err(refusal) => return Ok(refuse(exchange, &refusal)),
    };
    let payload = accepted.payload.clone();
    let mut state = endpoint.state();
    // A message whose `msgUuid` was delivered already is acknowledged, not posted again.
    let duplicate = accepted
        .msg_uuid
        .as_deref()
        .is_some_and(|uuid| !state.msg_uuids.insert(uuid));
    if !duplicate {
        state.accept(Received {
            payload: accepted.payload,
            raw: accepted.raw,
            msg_uuid: accepted.msg_uuid,
            at: std::time::SystemTime::now(),
            seq: 0,
        });
    }
    let accepted_so_far = state.accepted;
    drop(state);
    if !duplicate {
        endpoint.announce_accepted(accepted_so_far);
    }
    exchange.duplicate = duplicate;
    exchange.payload = Some(payload);
    exchange.errcode = Some(spec::errcode::OK);
    exchange.errmsg = Some(spec::errmsg::OK.to_owned());
    Ok(answer(spec::errcode::OK, spec::errmsg::OK))
}

/// The body, or `None` when it is over [`READ_LIMIT`]: the rest is read and thrown away, so
/// that the client can finish sending and read the answer. A broken connection drops it.
async fn read_body(mut body: Incoming) -> Result<Option<Bytes>, DropConnection> {
    let mut kept = Vec::new();
    let mut over = false;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| DropConnection)?;
        if let Ok(data) = frame.into_data() {
            over |= kept.len() + data.len() > READ_LIMIT;
            if !over {
                kept.extend_from_slice(&data);
            }
        }
    }
    Ok((!over).then(|| Bytes::from(kept)))
}

/// Plays the next OpenAPI fault, if one is set up: the answer to give instead (`None` for a
/// delay, which answers as usual, later).
fn app_fault(
    endpoint: &Endpoint,
    exchange: &mut Exchange,
    delay: &mut Option<std::time::Duration>,
) -> Option<Result<Answer, DropConnection>> {
    let fault = endpoint.state().app_faults.pop_front()?;
    exchange.fault = Some(fault.clone());
    match fault {
        Fault::Drop => Some(Err(DropConnection)),
        Fault::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(Ok(plain(
                status,
                status.canonical_reason().unwrap_or("error"),
            )))
        }
        Fault::Refuse {
            status,
            code,
            message,
        } => Some(Ok(openapi_refusal(exchange, status, &code, &message))),
        Fault::Answer { errcode, errmsg } => {
            Some(Ok(refuse(exchange, &Refusal { errcode, errmsg })))
        }
        Fault::Delay(d) => {
            *delay = Some(d);
            None
        }
    }
}

/// An OpenAPI refusal: `status` with `{code, requestid, message}`.
fn openapi_refusal(exchange: &mut Exchange, status: u16, code: &str, message: &str) -> Answer {
    exchange.code = Some(code.to_owned());
    exchange.errmsg = Some(message.to_owned());
    json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        serde_json::json!({
            "code": code,
            "requestid": openapi::request_id(),
            "message": message,
        }),
    )
}

/// An OpenAPI answer: 200 with the business fields, or the refusal's status with
/// `{code, requestid, message}`.
fn openapi_answer(
    exchange: &mut Exchange,
    answer: Result<serde_json::Value, spec::openapi::ApiError>,
) -> Answer {
    match answer {
        Ok(body) => json(StatusCode::OK, body),
        Err(refusal) => openapi_refusal(exchange, refusal.status, refusal.code, refusal.message),
    }
}

fn refuse(exchange: &mut Exchange, refusal: &Refusal) -> Answer {
    exchange.errcode = Some(refusal.errcode);
    exchange.errmsg = Some(refusal.errmsg.clone());
    answer(refusal.errcode, &refusal.errmsg)
}

/// DingTalk's answer: HTTP 200 with `{errcode, errmsg}`, for errors too.
fn answer(errcode: i64, errmsg: &str) -> Answer {
    json(
        StatusCode::OK,
        serde_json::json!({"errcode": errcode, "errmsg": errmsg}),
    )
}

fn json(status: StatusCode, value: serde_json::Value) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

fn plain(status: StatusCode, text: &'static str) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    response
}

//! Every vector of the payment rules (tests/data/payment-vectors.json, a copy of
//! the shared file) runs through the real engine on a fresh store.

use crate::common;

use common::TestStore;
use passline::domain::*;
use passline::engine::EngineError;
use serde_json::Value;

fn rules_of(v: &Value) -> Rules {
    let c = &v["config"];
    Rules {
        fire: serde_json::from_value(c["fire"].clone()).expect("fire policy"),
        cash_rounding: serde_json::from_value(c["cash_rounding"].clone()).expect("rounding"),
        ..Default::default()
    }
}

#[test]
fn every_payment_vector_passes() {
    let data: Value =
        serde_json::from_str(include_str!("../data/payment-vectors.json")).expect("vectors parse");
    let mut failures = Vec::new();
    let vectors = data["vectors"].as_array().expect("vectors list");
    assert!(vectors.len() >= 20, "the vector file lost vectors");
    for v in vectors {
        let name = v["name"].as_str().unwrap_or("?");
        if let Err(e) = run_vector(&data, v) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
}

fn run_vector(data: &Value, v: &Value) -> Result<(), String> {
    let t = TestStore::new(rules_of(v));
    for s in data["staff"].as_array().expect("staff") {
        let role = Role::parse(s["role"].as_str().unwrap_or("")).expect("role");
        t.add_staff(
            s["id"].as_str().unwrap_or(""),
            s["name"].as_str().unwrap_or(""),
            role,
            s["pin"].as_str().unwrap_or(""),
        );
    }
    let h = t.h();
    let mut seq = 0;
    for (i, step) in v["steps"].as_array().expect("steps").iter().enumerate() {
        let result = if let Some(ev) = step.get("event") {
            seq += 1;
            let event: PlatformEvent =
                serde_json::from_value(ev.clone()).map_err(|e| format!("step {i}: {e}"))?;
            h.execute_blocking(None, Command::Platform { seq, event })
        } else if let Some(settle) = step["command"].get("settle") {
            let tenders: Vec<TenderInput> = serde_json::from_value(settle["tenders"].clone())
                .map_err(|e| format!("step {i}: {e}"))?;
            h.execute_blocking(
                None,
                Command::Settle {
                    order_id: OrderId(settle["order_id"].as_str().unwrap_or("").into()),
                    staff_id: StaffId(settle["staff_id"].as_str().unwrap_or("").into()),
                    pin: None,
                    tenders,
                },
            )
        } else {
            return Err(format!("step {i}: unknown step {step}"));
        };
        match (step.get("refused").and_then(|r| r.as_str()), result) {
            (None, Ok(_)) => {}
            (None, Err(e)) => return Err(format!("step {i} refused unexpectedly: {e}")),
            (Some(code), Err(EngineError::Refused(r))) if r.code() == code => {}
            (Some(code), Err(e)) => return Err(format!("step {i}: want {code}, got {e}")),
            (Some(code), Ok(_)) => return Err(format!("step {i}: want refusal {code}, accepted")),
        }
    }
    let outbox = h.outbox().map_err(|e| e.to_string())?;
    for (id, want) in v["expect"].as_object().expect("expect") {
        let st = h
            .order(&OrderId(id.clone()))
            .map_err(|e| e.to_string())?
            .ok_or(format!("order {id} missing"))?;
        let check = |field: &str, got: Value| -> Result<(), String> {
            match want.get(field) {
                Some(w) if *w != got => Err(format!("{id}.{field}: want {w}, got {got}")),
                _ => Ok(()),
            }
        };
        check("payment", st.payment().as_str().into())?;
        check("kitchen", st.kitchen().as_str().into())?;
        check("collected", st.collected().0.into())?;
        check("change", st.change().0.into())?;
        check("rounding", st.rounding.0.into())?;
        check("remaining", st.remaining().0.into())?;
        let flags: Vec<&str> = st
            .flags()
            .into_iter()
            .filter(|f| *f != "outcome_open" && *f != "double_paid")
            .collect();
        check("flags", serde_json::json!(flags))?;
        let reports: Vec<&str> = outbox
            .iter()
            .filter(|e| e.report.order_id().0 == *id && e.report.kind() != "order.status")
            .map(|e| e.report.kind())
            .collect();
        check("reports", serde_json::json!(reports))?;
    }
    Ok(())
}

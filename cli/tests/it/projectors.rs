//! A projector killed with SIGKILL at any point and restarted produces exactly the read model of
//! an uninterrupted run.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::support::{Site, kill};

fn export(site: &Site, views: &str, projection: &str) -> String {
    let out = site
        .command(&["views", "export", "--projection", projection])
        .env("CODEFLIX__VIEWS__DIR", site.path(views))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn catch_up(site: &Site, views: &str) {
    let started = Instant::now();
    let out = site
        .command(&["projectors", "--until-caught-up"])
        .env("CODEFLIX__VIEWS__DIR", site.path(views))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{views} caught up in {:?}", started.elapsed());
}

#[test]
fn a_projector_killed_at_any_point_and_restarted_builds_the_uninterrupted_read_model() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let _broker = site.start_broker();
    let _registry = site.start_registry();
    let written = site.run(&[
        "stress",
        "--writers",
        "3",
        "--aggregates",
        "40",
        "--commands",
        "200",
        "--seed",
        "projection",
        "--wait-drained",
        "--ack-log",
        site.path("acks.jsonl").to_str().unwrap(),
    ]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );

    catch_up(&site, "views-reference");
    let reference = export(&site, "views-reference", "catalog");
    assert_eq!(
        reference.lines().count(),
        40,
        "one document per category the writers touched"
    );

    // Small batches, so that kills land between and inside commits as well as at start-up.
    let mut rng = rand::rng();
    for _ in 0..5 {
        let mut projector = site.spawn_with(
            "projector",
            &[
                (
                    "CODEFLIX__VIEWS__DIR",
                    site.path("views-chaos").to_str().unwrap(),
                ),
                ("CODEFLIX__PROJECTORS__BATCH", "7"),
            ],
            &["projectors"],
        );
        std::thread::sleep(Duration::from_millis(rng.random_range(200..2500)));
        kill(&mut projector);
    }
    catch_up(&site, "views-chaos");
    assert_eq!(export(&site, "views-chaos", "catalog"), reference);
}

//! Lookups and watching, each beside its baseline in the same run (a harness of its
//! own, so the ratios come out directly):
//!
//! - **lookup resources** of a user on the shared generator's large graph (100,000
//!   users, 10,000 groups, 10,000 handle services): `Graph::lookup_resources` for
//!   `handle_service_view`, against the brute-force filter (`has_privilege` on every
//!   handle service, the matches sorted by id) and against the hand-made filter a user
//!   wrote before (`effective_memberships`, then `has_privilege` on each);
//! - **lookup subjects** of a handle service on the same graph: `Graph::lookup_subjects`
//!   against the brute-force filter of every user and group;
//! - **big-group grant** (100,000 users in one group, member of 100 handle services):
//!   one `Writer::commit` of a grant, then of a revoke, on the group's privileges in one
//!   service, without a subscriber and with one (whose queue is drained outside the
//!   timed region; each event carries 100,001 deltas). The commit includes applying the
//!   previous batch to the writer's second copy, in both modes.
//!
//! Every lookup's answer is checked against its baseline's before timing. Times are
//! medians over rounds; each round runs every input once.
//!
//! Run: `cargo bench --bench lookup_watch` (about a minute and 2 GB; `-- small` for the
//! small generator graph).

#[path = "support/generator.rs"]
mod generator;

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use privgraph::concurrent::Writer;
use privgraph::graph::{
    Author, Batch, Change, Graph, Group, HandleService, Key, MemberType, TargetKind, User,
};
use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges as HS};

/// The median time per input of `rounds` rounds over `inputs`.
fn median_per_input<I>(inputs: &[I], rounds: usize, mut run: impl FnMut(&I)) -> Duration {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for input in inputs {
                run(input);
            }
            start.elapsed() / inputs.len().max(1) as u32
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

fn show(what: &str, time: Duration, baseline: Option<(&str, Duration)>) {
    match baseline {
        Some((name, base)) => println!(
            "{what:<58} {:>12.1} µs   {:>8.2}× {name}",
            time.as_secs_f64() * 1e6,
            time.as_secs_f64() / base.as_secs_f64()
        ),
        None => println!("{what:<58} {:>12.1} µs", time.as_secs_f64() * 1e6),
    }
}

fn lookups(size: generator::Size) {
    let description = generator::generate(size, generator::SEED);
    let loaded = generator::build_privgraph(&description);
    let graph = &loaded.graph;
    let view = HS::HANDLE_SERVICE_VIEW;
    let mut rng = generator::Rng::new(generator::SEED ^ 0x1007);
    let users: Vec<Key<User>> = (0..256)
        .map(|_| loaded.users[rng.below(size.users) as usize])
        .collect();
    let services: Vec<Key<HandleService>> = (0..64)
        .map(|_| loaded.services[rng.below(size.services) as usize])
        .collect();

    let brute_resources = |u: Key<User>| -> Vec<&str> {
        let mut ids: Vec<&str> = loaded
            .services
            .iter()
            .filter(|&&s| graph.has_privilege(u, s, view))
            .filter_map(|&s| graph.id(s))
            .collect();
        ids.sort_unstable();
        ids
    };
    let by_hand = |u: Key<User>| -> Vec<Key<HandleService>> {
        graph
            .effective_memberships::<User, HandleService>(u)
            .into_iter()
            .filter(|&s| graph.has_privilege(u, s, view))
            .collect()
    };
    let mut answers = 0;
    for &u in &users {
        let found = graph
            .lookup_resources::<User, HandleService>(u, view)
            .into_ids();
        assert_eq!(found, brute_resources(u), "lookup resources of {u:?}");
        answers += found.len();
    }
    println!(
        "\n{} users, {} groups, {} handle services; {} users asked, {:.1} services each on average",
        size.users,
        size.groups,
        size.services,
        users.len(),
        answers as f64 / users.len() as f64
    );
    let lookup = median_per_input(&users, 11, |&u| {
        black_box(
            graph
                .lookup_resources::<User, HandleService>(u, view)
                .into_ids(),
        );
    });
    let hand = median_per_input(&users, 11, |&u| {
        black_box(by_hand(u));
    });
    let brute = median_per_input(&users, 5, |&u| {
        black_box(brute_resources(u));
    });
    show(
        "lookup resources (user, handle_service_view)",
        lookup,
        Some(("brute force", brute)),
    );
    show(
        "  by hand: effective_memberships + has_privilege",
        hand,
        Some(("brute force", brute)),
    );
    show("  brute force: has_privilege on every service", brute, None);

    let brute_subjects = |s: Key<HandleService>| -> (Vec<&str>, Vec<&str>) {
        let mut users: Vec<&str> = loaded
            .users
            .iter()
            .filter(|&&u| graph.has_privilege(u, s, view))
            .filter_map(|&u| graph.id(u))
            .collect();
        let mut groups: Vec<&str> = loaded
            .groups
            .iter()
            .filter(|&&g| graph.has_privilege(g, s, view))
            .filter_map(|&g| graph.id(g))
            .collect();
        users.sort_unstable();
        groups.sort_unstable();
        (users, groups)
    };
    let mut holders = 0;
    for &s in &services {
        let found = graph.lookup_subjects(s, view);
        let got = (found.users.into_ids(), found.groups.into_ids());
        holders += got.0.len() + got.1.len();
        assert_eq!(got, brute_subjects(s), "lookup subjects of {s:?}");
    }
    println!(
        "{} handle services asked, {:.0} holders each on average",
        services.len(),
        holders as f64 / services.len() as f64
    );
    let lookup = median_per_input(&services, 11, |&s| {
        let found = graph.lookup_subjects(s, view);
        black_box((found.users.into_ids(), found.groups.into_ids()));
    });
    let brute = median_per_input(&services, 3, |&s| {
        black_box(brute_subjects(s));
    });
    show(
        "lookup subjects (handle service, handle_service_view)",
        lookup,
        Some(("brute force", brute)),
    );
    show(
        "  brute force: has_privilege for every user and group",
        brute,
        None,
    );
}

const BIG_USERS: usize = 100_000;
const BIG_SERVICES: usize = 100;

fn base() -> HS {
    HS::HANDLE_SERVICE_VIEW | HS::HANDLE_SERVICE_LIST_HANDLES | HS::HANDLE_SERVICE_REGISTER_HANDLE
}

fn big_group() -> Graph {
    let mut graph = Graph::new();
    let users: Vec<Key<User>> = (0..BIG_USERS)
        .map(|i| graph.create::<User>(&format!("u{i}")).expect("a new user"))
        .collect();
    let group = graph.create::<Group>("big").expect("a new group");
    for &u in &users {
        graph
            .add_member(group, u, GroupPrivileges::empty())
            .expect("a new member");
    }
    for i in 0..BIG_SERVICES {
        let s = graph
            .create::<HandleService>(&format!("hs{i}"))
            .expect("a new service");
        graph.add_member(s, group, base()).expect("a new member");
    }
    graph
}

fn set(privileges: HS) -> Batch {
    Batch::new(
        Author::Library,
        vec![Change::SetMemberPrivileges {
            kind: TargetKind::HandleService,
            id: "hs0".into(),
            member_type: MemberType::Group,
            member_id: "big".into(),
            privileges: privileges.into(),
        }],
    )
}

/// The median time of one commit, alternating a grant and a revoke.
fn commits(
    writer: &mut Writer,
    rounds: usize,
    mut after: impl FnMut(&mut Writer),
) -> (Duration, Duration) {
    let mut grants = Vec::new();
    let mut revokes = Vec::new();
    for _ in 0..rounds {
        for (times, privileges) in [
            (&mut grants, base() | HS::HANDLE_SERVICE_UPDATE),
            (&mut revokes, base()),
        ] {
            let batch = set(privileges);
            let start = Instant::now();
            black_box(writer.commit(batch).expect("the batch applies"));
            times.push(start.elapsed());
            after(writer);
        }
    }
    grants.sort_unstable();
    revokes.sort_unstable();
    (grants[rounds / 2], revokes[rounds / 2])
}

fn watching() {
    let mut writer = Writer::new(big_group());
    // Warm both copies once.
    commits(&mut writer, 1, |_| {});
    let rounds = 15;
    let (grant, revoke) = commits(&mut writer, rounds, |_| {});
    let mut subscription = writer.subscribe(NonZeroUsize::new(4).expect("a capacity"));
    let (grant_watched, revoke_watched) = commits(&mut writer, rounds, |_| {
        let event = subscription
            .try_recv()
            .expect("the subscriber keeps up")
            .expect("an event per batch");
        assert_eq!(
            event.effective.len(),
            BIG_USERS + 1,
            "every member and the group"
        );
    });
    println!(
        "\nbig group: {BIG_USERS} users in one group, member of {BIG_SERVICES} handle services"
    );
    show("commit a grant to the group in one service", grant, None);
    show(
        "  with one watch subscriber",
        grant_watched,
        Some(("without", grant)),
    );
    show("commit a revoke", revoke, None);
    show(
        "  with one watch subscriber",
        revoke_watched,
        Some(("without", revoke)),
    );
    drop(subscription);
    let (grant_after, _) = commits(&mut writer, rounds, |_| {});
    show(
        "commit a grant after the subscriber left",
        grant_after,
        Some(("before it came", grant)),
    );
}

fn main() {
    let small = std::env::args().any(|a| a == "small");
    lookups(if small {
        generator::SMALL
    } else {
        generator::LARGE
    });
    watching();
}

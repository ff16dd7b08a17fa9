use std::time::Instant;
fn row(id: usize, status: &str, owner: &str, version: u64, stamp: &str) -> String {
    format!(
        "    {id}, parser, \"Record number {id}, with a sentence of text like a real todo\", {status}, \"{owner}\", {version}, \"{stamp}\", \"\"\n"
    )
}
fn replica(changed: &[(usize, &str)], writer: &str) -> String {
    let mut t = String::from(
        "todos |id, area, description, status, owner, version, last_modified, deleted|\n",
    );
    for id in 0..10_000 {
        match changed.iter().find(|(at, _)| *at == id) {
            Some((_, v)) => t.push_str(&row(
                id,
                v,
                "",
                2,
                &format!("2026-01-01T00:00:01.000Z+00000@{writer}"),
            )),
            None => t.push_str(&row(
                id,
                "open",
                "",
                1,
                "2026-01-01T00:00:00.000Z+00000@seed",
            )),
        }
    }
    t
}
fn main() {
    let ours: Vec<(usize, &str)> = (0..100).map(|i| (i * 97 % 10_000, "done")).collect();
    let theirs: Vec<(usize, &str)> = (0..100)
        .map(|i| {
            if i < 20 {
                (i * 97 % 10_000, "blocked")
            } else {
                ((i * 89 + 13) % 10_000, "x")
            }
        })
        .collect();
    let (b, o, t) = (
        replica(&[], "seed"),
        replica(&ours, "a"),
        replica(&theirs, "b"),
    );
    let n = std::env::args().nth(1).map_or(5, |a| a.parse().unwrap());
    for _ in 0..n {
        let s = Instant::now();
        let _ = sdn_codec::parse(&b).unwrap();
        let p = s.elapsed();
        let s = Instant::now();
        let d = sdn_codec::Document::parse(&o).unwrap();
        let dp = s.elapsed();
        let s = Instant::now();
        let _ = d.into_string();
        let ds = s.elapsed();
        let s = Instant::now();
        let m = versioning::merge::merge(&b, &o, &t, &Default::default()).unwrap();
        let me = s.elapsed();
        println!(
            "parse {p:?} docparse {dp:?} into_string {ds:?} merge {me:?} ({} conflicts)",
            m.conflicts.len()
        );
    }
}

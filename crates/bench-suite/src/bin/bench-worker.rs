//! A worker process of the multi-process measurements (see `bench_suite::workers`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(err) = bench_suite::workers::run(&args) {
        eprintln!("bench-worker: {err}");
        std::process::exit(1);
    }
}

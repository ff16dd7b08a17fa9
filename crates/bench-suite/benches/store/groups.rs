//! The criterion groups: load and one-record save of each database in each design, and
//! the full load-change-save cycle of all three.

use std::path::Path;

use baseline::phase3::Database;
use criterion::{Criterion, SamplingMode, criterion_group};
use record_store::{Record, Store};

use super::bench_dir;
use super::designs::{
    Rustbreak, baseline_cycle, baseline_update, open_sqlite, rustbreak_cycle, rustbreak_update,
    setup, sqlite_load, sqlite_update, store_update,
};
use super::records::{Feature, Task, Todo, Tracked};

fn per_database<T: Tracked>(c: &mut Criterion, dir: &Path) {
    let files = setup::<T>(dir);
    let middle_index = T::COUNT / 2;
    let middle = T::sample(middle_index);
    let key = Record::key(&middle);
    let key_text = middle.id_text();

    let mut group = c.benchmark_group(format!("store_load_{}", T::NAME));
    group.bench_function("record_store", |b| {
        b.iter(|| {
            let snapshot = Store::open(&files.sdn).expect("open").read().expect("read");
            assert_eq!(snapshot.table::<T>().expect("table").len(), T::COUNT);
        })
    });
    group.bench_function("baseline", |b| {
        b.iter(|| {
            assert_eq!(
                Database::<T>::load(&files.sdn_baseline)
                    .expect("load")
                    .count(),
                T::COUNT
            )
        })
    });
    group.bench_function("sqlite", |b| {
        b.iter(|| assert_eq!(sqlite_load::<T>(&files.sqlite).len(), T::COUNT))
    });
    group.bench_function("rustbreak", |b| {
        b.iter(|| {
            let db = Rustbreak::<T>::load_from_path(&files.rustbreak).expect("load");
            assert_eq!(db.read(|records| records.len()).expect("read"), T::COUNT);
        })
    });
    group.finish();

    let mut group = c.benchmark_group(format!("store_save_one_record_{}", T::NAME));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(30);
    let store = Store::open(&files.sdn).expect("open");
    group.bench_function("record_store_durable", |b| {
        b.iter(|| store_update::<T>(&store, &key))
    });
    let mut db = Database::<T>::load(&files.sdn_baseline).expect("load");
    group.bench_function("baseline_not_durable", |b| {
        b.iter(|| baseline_update(&mut db, &key_text))
    });
    let conn = open_sqlite(&files.sqlite);
    let mut record = middle.clone();
    group.bench_function("sqlite_wal_full", |b| {
        b.iter(|| {
            record.flip();
            sqlite_update(&conn, &record);
        })
    });
    let rustbreak = Rustbreak::<T>::load_from_path(&files.rustbreak).expect("load");
    group.bench_function("rustbreak_in_place_fsync", |b| {
        b.iter(|| rustbreak_update(&rustbreak, middle_index))
    });
    group.finish();
}

fn full_cycle(c: &mut Criterion, dir: &Path) {
    // Load, change one record, save: each of the three databases, cold (fresh handles).
    let todo = setup::<Todo>(dir);
    let feature = setup::<Feature>(dir);
    let task = setup::<Task>(dir);
    let mut group = c.benchmark_group("store_full_cycle_all_three");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.bench_function("record_store_durable", |b| {
        b.iter(|| {
            store_update::<Todo>(&Store::open(&todo.sdn).expect("open"), &75);
            store_update::<Feature>(&Store::open(&feature.sdn).expect("open"), &120);
            store_update::<Task>(
                &Store::open(&task.sdn).expect("open"),
                &"TRACK-002".to_string(),
            );
        })
    });
    group.bench_function("baseline_not_durable", |b| {
        b.iter(|| {
            baseline_cycle::<Todo>(&todo.sdn_baseline, "75");
            baseline_cycle::<Feature>(&feature.sdn_baseline, "120");
            baseline_cycle::<Task>(&task.sdn_baseline, "TRACK-002");
        })
    });
    group.bench_function("sqlite_wal_full", |b| {
        let mut records = (Todo::sample(75), Feature::sample(20), Task::sample(2));
        b.iter(|| {
            records.0.flip();
            records.1.flip();
            records.2.flip();
            sqlite_update(&open_sqlite(&todo.sqlite), &records.0);
            sqlite_update(&open_sqlite(&feature.sqlite), &records.1);
            sqlite_update(&open_sqlite(&task.sqlite), &records.2);
        })
    });
    group.bench_function("rustbreak_in_place_fsync", |b| {
        b.iter(|| {
            rustbreak_cycle::<Todo>(&todo.rustbreak, 75);
            rustbreak_cycle::<Feature>(&feature.rustbreak, 20);
            rustbreak_cycle::<Task>(&task.rustbreak, 2);
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let dir = bench_dir();
    per_database::<Todo>(c, &dir);
    per_database::<Feature>(c, &dir);
    per_database::<Task>(c, &dir);
    full_cycle(c, &dir);
}

criterion_group!(store, benches);

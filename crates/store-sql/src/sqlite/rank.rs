//! `tripdesk_rank(search_fts, w1, …, wn)`: Okapi BM25 for FTS5 without length normalisation,
//! with the weight of each query term (its inverse document frequency) given by the caller.
//!
//! FTS5's own `bm25()` counts, on its first row of every query, the documents that hold each
//! term — a walk over the term's whole posting list: for a word in a third of a million
//! tickets, 9 of the 10 ms a search took, though a search ranks only the 2,000 newest matches
//! (docs/PERFORMANCE.md, issue 16). This function takes the terms' weights as arguments (the
//! store estimates them from each term's newest matches: `shared/search.rs`, `idf_weights`)
//! and reads, per row, only how often each term occurs in it.
//!
//! It does not read the row's length (BM25's `b` is 0): that is a lookup in FTS5's `docsize`
//! table per ranked row, and it was half of what was left of a search's time (p99 with eight
//! searchers 89–93 ms with it, 33 ms without, for words in thousands of tickets). Occurrences
//! saturate (`k1` = 1.2: a fifth occurrence weighs less than a third of the first), so a long
//! text does not win by length alone; equal scores come newest first.
//!
//! An FTS5 auxiliary function can only be registered through SQLite's C interface: the
//! `unsafe` below is confined to this file. It is registered on every connection that may
//! search (the readers and the writer), when the connection opens.

use libsqlite3_sys as ffi;
use std::ffi::{c_int, c_void, CStr};
use std::ptr;

/// The function's name in SQL.
pub(crate) const NAME: &CStr = c"tripdesk_rank";

/// BM25's term-frequency saturation, as FTS5's `bm25()` has it.
const K1: f64 = 1.2;

/// BM25 of one row with `b` = 0: `weights[i]` for phrase `i` (1 when not given), `tf[i]` its
/// occurrences in the row.
pub(crate) fn bm25(weights: &[f64], tf: &[u32]) -> f64 {
    tf.iter()
        .enumerate()
        .map(|(i, &n)| {
            let n = f64::from(n);
            weights.get(i).copied().unwrap_or(1.0) * n * (K1 + 1.0) / (n + K1)
        })
        .sum()
}

/// Registers the function on an open connection.
pub(crate) async fn register(conn: &mut sqlx::sqlite::SqliteConnection) -> Result<(), String> {
    let mut handle = conn.lock_handle().await.map_err(|e| e.to_string())?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is an open connection held locked for this call; the statement is
    // finalised on every path; `api` is written by SQLite through the pointer bound as
    // "fts5_api_ptr" (the documented way to reach FTS5's C interface) and is valid for
    // the connection's life.
    unsafe {
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let rc = ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        );
        if rc != ffi::SQLITE_OK {
            return Err(format!("FTS5 is not available (SQLite error {rc})"));
        }
        let mut api: *mut ffi::fts5_api = ptr::null_mut();
        ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&mut api as *mut *mut ffi::fts5_api).cast::<c_void>(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
        if api.is_null() || (*api).iVersion < 2 {
            return Err("FTS5's interface is not available".into());
        }
        let create = (*api)
            .xCreateFunction
            .ok_or("FTS5 cannot register functions")?;
        let rc = create(api, NAME.as_ptr(), ptr::null_mut(), Some(rank), None);
        if rc != ffi::SQLITE_OK {
            return Err(format!(
                "registering {}: SQLite error {rc}",
                NAME.to_string_lossy()
            ));
        }
    }
    Ok(())
}

/// The FTS5 callback: the row's score, or the SQLite error that stopped it.
unsafe extern "C" fn rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_args: c_int,
    args: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 calls this with a valid API table and context for the current row, and
    // `args` holding `n_args` values.
    match unsafe { score(&*api, fts, n_args, args) } {
        Ok(s) => unsafe { ffi::sqlite3_result_double(ctx, s) },
        Err(rc) => unsafe { ffi::sqlite3_result_error_code(ctx, rc) },
    }
}

unsafe fn score(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    n_args: c_int,
    args: *mut *mut ffi::sqlite3_value,
) -> Result<f64, c_int> {
    let check = |rc: c_int| {
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(rc)
        }
    };
    let missing = ffi::SQLITE_MISUSE;
    unsafe {
        let phrases = usize::try_from((api.xPhraseCount.ok_or(missing)?)(fts)).unwrap_or(0);
        let weights: Vec<f64> = (0..usize::try_from(n_args).unwrap_or(0))
            .map(|i| ffi::sqlite3_value_double(*args.add(i)))
            .collect();
        let mut tf = vec![0u32; phrases];
        let mut instances: c_int = 0;
        check((api.xInstCount.ok_or(missing)?)(fts, &mut instances))?;
        let inst = api.xInst.ok_or(missing)?;
        for i in 0..instances {
            let (mut phrase, mut column, mut offset): (c_int, c_int, c_int) = (0, 0, 0);
            check(inst(fts, i, &mut phrase, &mut column, &mut offset))?;
            if let Some(n) = usize::try_from(phrase).ok().and_then(|p| tf.get_mut(p)) {
                *n += 1;
            }
        }
        Ok(bm25(&weights, &tf))
    }
}

#[cfg(test)]
mod tests {
    use super::bm25;

    #[test]
    fn more_occurrences_score_higher_saturating_and_weights_scale() {
        let once = bm25(&[], &[1]);
        assert!((once - 1.0).abs() < 1e-9);
        let twice = bm25(&[], &[2]);
        assert!(twice > once && twice < 2.0 * once);
        assert_eq!(bm25(&[], &[0]), 0.0);
        let weighted = bm25(&[3.0, 1.0], &[1, 1]);
        assert!((weighted - 4.0 * once).abs() < 1e-9);
        // Saturation: never more than k1 + 1 per unit of weight.
        assert!(bm25(&[], &[1_000_000]) < 2.2);
        assert!(bm25(&[], &[5]) < 1.5 * bm25(&[], &[2]));
    }
}

//! How the client awaits several independent requests (reads of one chain state, receipts of
//! the committee): concurrently on native platforms, where a server answers sooner for it, and
//! one after the other in wasm, where each concurrent combinator instance costs the page code
//! size (about 20 KB gzip for the client's dozen such places) and the requests share one
//! connection anyway. The result is the same either way: every output in order, or the first
//! error.
//!
//! Work that must overlap (the user's DKG party and following the chain, the delivery of dealt
//! shares whose servers wait for each other) does not use these helpers.

use std::future::Future;

/// Every output of `futs`, in order, or the first error.
pub async fn all<T, E, F>(futs: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    #[cfg(not(target_arch = "wasm32"))]
    {
        futures::future::try_join_all(futs).await
    }
    #[cfg(target_arch = "wasm32")]
    {
        let mut out = Vec::new();
        for f in futs {
            out.push(f.await?);
        }
        Ok(out)
    }
}

/// Every output of `futs`, in order, or the first error, always concurrently (for work whose
/// parts wait for each other, such as servers that compare their shares). A small poll loop
/// rather than `try_join_all`, whose general form costs the page several kilobytes.
pub async fn all_at_once<T, E, F>(futs: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> =
        futs.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut done: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(f) = slot {
                if let std::task::Poll::Ready(r) = f.as_mut().poll(cx) {
                    *slot = None;
                    match r {
                        Ok(v) => *out = Some(v),
                        Err(e) => return std::task::Poll::Ready(Err(e)),
                    }
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(Ok(()))
        } else {
            std::task::Poll::Pending
        }
    })
    .await?;
    Ok(done.into_iter().flatten().collect())
}

/// Both outputs.
pub async fn both<A, B>(a: impl Future<Output = A>, b: impl Future<Output = B>) -> (A, B) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        futures::join!(a, b)
    }
    #[cfg(target_arch = "wasm32")]
    {
        let a = a.await;
        (a, b.await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keeps_order_and_stops_at_an_error() {
        let ok: Result<Vec<u32>, &str> =
            futures::executor::block_on(all((1..=3).map(|i| async move { Ok(i) })));
        assert_eq!(ok, Ok(vec![1, 2, 3]));
        let err: Result<Vec<u32>, &str> =
            futures::executor::block_on(all((1..=3).map(|i| async move {
                if i == 2 {
                    Err("two")
                } else {
                    Ok(i)
                }
            })));
        assert_eq!(err, Err("two"));
        let (a, b) = futures::executor::block_on(both(async { 1 }, async { "b" }));
        assert_eq!((a, b), (1, "b"));
        let ok: Result<Vec<u32>, &str> =
            futures::executor::block_on(all_at_once((1..=3).map(|i| async move { Ok(i) })));
        assert_eq!(ok, Ok(vec![1, 2, 3]));
    }

    #[test]
    fn all_at_once_runs_parts_that_wait_for_each_other() {
        // The second part completes only after the first has started: a sequential await
        // would never finish.
        let (tx, rx) = futures::channel::oneshot::channel::<u32>();
        let tx = std::cell::RefCell::new(Some(tx));
        let rx = std::cell::RefCell::new(Some(rx));
        let parts = (0..2).map(|i| {
            let (tx, rx) = (&tx, &rx);
            async move {
                if i == 0 {
                    let rx = rx.borrow_mut().take().unwrap();
                    rx.await.map_err(|_| "cancelled")
                } else {
                    tx.borrow_mut().take().unwrap().send(7).unwrap();
                    Ok(8)
                }
            }
        });
        let out = futures::executor::block_on(all_at_once(parts));
        assert_eq!(out, Ok(vec![7, 8]));
    }
}

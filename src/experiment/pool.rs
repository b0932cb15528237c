//! Jobs spread over devices (`--devices D1,D2,…`): one worker per device takes the next job
//! whenever its last one ends, until the list is done. A device that fails mid-job (a
//! remote server that went away) leaves the job's run directory at its last checkpoint; the
//! job goes back on the list and another device resumes it from there.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Mutex;

use burn::tensor::Device;

use super::ExperimentError;
use super::RunConfig;
use super::run::progress_line;
use super::task::TaskData;

/// The data of the last task loaded on one device, reused while the next jobs share it.
#[derive(Default)]
pub(crate) struct DataCache {
    loaded: Option<(String, Rc<TaskData>)>,
}

impl DataCache {
    /// `config`'s data on `device`, loaded unless the last call loaded the same.
    pub(crate) fn get(
        &mut self,
        config: &RunConfig,
        device: &Device,
    ) -> Result<Rc<TaskData>, ExperimentError> {
        let key = format!("{:?}/{:?}", config.task, config.limit);
        if self.loaded.as_ref().is_none_or(|(k, _)| *k != key) {
            self.loaded = Some((key, Rc::new(config.load_data(device)?)));
        }
        Ok(Rc::clone(&self.loaded.as_ref().expect("loaded").1))
    }
}

/// Runs `work` on every job, one job at a time per device, and returns the results in the
/// jobs' order. With one device everything runs on the calling thread. The first error stops
/// the workers after their current job and is returned; a panic loses only that device.
pub(crate) fn on_devices<J: Sync, T: Send>(
    devices: &[Device],
    jobs: &[J],
    label: impl Fn(&J) -> String + Sync,
    work: impl Fn(&J, &Device, &mut DataCache) -> Result<T, ExperimentError> + Sync,
) -> Result<Vec<T>, ExperimentError> {
    if let [device] = devices {
        let mut cache = DataCache::default();
        return jobs.iter().map(|j| work(j, device, &mut cache)).collect();
    }
    let queue = Mutex::new((0..jobs.len()).collect::<VecDeque<usize>>());
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    let error: Mutex<Option<ExperimentError>> = Mutex::new(None);
    let lost: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for device in devices {
            let (queue, results, error, lost) = (&queue, &results, &error, &lost);
            let (work, label) = (&work, &label);
            std::thread::Builder::new()
                .stack_size(16 << 20)
                .spawn_scoped(scope, move || {
                    let mut cache = DataCache::default();
                    loop {
                        if error.lock().expect("not poisoned").is_some() {
                            return;
                        }
                        let Some(i) = queue.lock().expect("not poisoned").pop_front() else {
                            return;
                        };
                        match catch_unwind(AssertUnwindSafe(|| work(&jobs[i], device, &mut cache)))
                        {
                            Ok(Ok(t)) => results.lock().expect("not poisoned")[i] = Some(t),
                            Ok(Err(e)) => {
                                error.lock().expect("not poisoned").get_or_insert(e);
                                return;
                            }
                            Err(panic) => {
                                let why = panic_message(&panic);
                                progress_line(&format!(
                                    "device {device:?} failed in {} ({why}); the job goes back \
                                     on the list, to resume from its last checkpoint",
                                    label(&jobs[i])
                                ));
                                queue.lock().expect("not poisoned").push_back(i);
                                lost.lock()
                                    .expect("not poisoned")
                                    .push(format!("{device:?}: {why}"));
                                return;
                            }
                        }
                    }
                })
                .expect("a worker thread starts");
        }
    });
    if let Some(e) = error.into_inner().expect("not poisoned") {
        return Err(e);
    }
    let results = results.into_inner().expect("not poisoned");
    if results.iter().any(Option::is_none) {
        return Err(ExperimentError::DevicesLost(
            lost.into_inner().expect("not poisoned").join("; "),
        ));
    }
    Ok(results.into_iter().map(|t| t.expect("checked")).collect())
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    let text = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    text.lines().next().unwrap_or(text).to_string()
}

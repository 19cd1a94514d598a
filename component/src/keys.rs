//! The root's core export lookups found once per
//! [`crate::InstancePre`]: for each `alias core export` step and each
//! import of a `core instantiate` step whose core instance comes from a
//! module known ahead, a [`wasm_run_api::ExportKey`], so that each
//! instantiation takes the export without looking its name up (on
//! wasmtime; other backends look names up as before).

use crate::component::Component;
use crate::plan::{ComponentPlan, ModuleOrigin, Step};
use wasm_run_api::{Engine, ExportKey, Module};

/// The keys, by step index: one for an `alias core export` step, one per
/// import of the module of a `core instantiate` step (in import order);
/// `None` where the module is not known ahead.
pub(crate) struct ExportKeys {
    by_step: Vec<Vec<Option<ExportKey>>>,
}

impl ExportKeys {
    /// The keys of the root `plan` of `component` (which has compiled its
    /// core modules).
    pub(crate) fn new<E: Engine>(component: &Component<E>, plan: &ComponentPlan) -> Self {
        let known = component.core_modules().unwrap_or_default();
        // The module index space (`None`: a module known only at
        // instantiation), and the module of each core instance as the
        // steps make them.
        let modules: Vec<Option<&Module<E>>> = plan
            .module_origins()
            .iter()
            .map(|origin| match origin {
                Some(ModuleOrigin::Static(i)) => known.get(*i as usize),
                _ => None,
            })
            .collect();
        let mut instances: Vec<Option<&Module<E>>> = Vec::new();
        let mut by_step = Vec::with_capacity(plan.steps.len());
        for step in &plan.steps {
            let mut keys = Vec::new();
            match step {
                Step::CoreInstantiate { module, args } => {
                    let module = modules.get(*module as usize).copied().flatten();
                    if let Some(m) = module {
                        for import in m.imports() {
                            let from = args
                                .iter()
                                .find(|(n, _)| *n == import.module)
                                .and_then(|(_, i)| instances.get(*i as usize).copied().flatten());
                            keys.push(from.and_then(|f| f.export_key(&import.name)));
                        }
                    }
                    instances.push(module);
                }
                Step::CoreFromExports(_) => instances.push(None),
                Step::AliasCoreExport { instance, name, .. } => {
                    let from = instances.get(*instance as usize).copied().flatten();
                    keys.push(from.and_then(|f| f.export_key(name)));
                }
                _ => {}
            }
            by_step.push(keys);
        }
        ExportKeys { by_step }
    }

    /// The key of lookup `at` of step `step`, if found ahead.
    pub(crate) fn get(&self, step: usize, at: usize) -> Option<&ExportKey> {
        self.by_step.get(step)?.get(at)?.as_ref()
    }
}

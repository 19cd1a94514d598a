//! The shared behaviour suite on the template backend, with the behaviours
//! it fails as its baseline: a listed behaviour that passes fails its test
//! (remove it from the list then), an unlisted one that fails fails.
//!
//! The template compiles and runs nothing, so every behaviour that
//! instantiates a module, makes a host item or calls a function fails; the
//! ones that pass are those about the engine and its features, and those
//! that check the typed `Unsupported` of a feature the template lacks
//! (fuel, deadlines, limits, serialisation, async, pooling). A backend
//! started from this crate shrinks the list as it implements the run-time.

use wasm_run_api::Engine;

wasm_run_conformance::behaviour_tests!(
    template,
    wasm_run_template::Template::new,
    expected_failures = [
        // Modules: compiling passes; each then instantiates what it compiled.
        module_text_and_binary,
        module_validation_errors,
        module_memory64_and_shared_types,
        module_from_file,
        module_variants,
        module_cache,
        compilation_modes,
        // Host items: `Memory::new`, `Global::new`, `Func::wrap` are refused.
        module_import_export_types,
        host_defined_items,
        instance_new_ordered_imports,
        link_duplicate_definitions,
        // Host functions are recorded by the linker but never called.
        host_func_typed,
        host_func_untyped,
        host_state,
        store_extensions,
        linker_get_each,
        caller_memory_and_exports,
        host_error,
        host_panic,
        host_faults_nested,
        // Linking: the API diagnoses only `Link`/`Engine` errors, and the
        // template answers `Unsupported` (its `get` cannot make items).
        link_error_missing,
        link_error_incompatible,
        link_instance_exports,
        start_function,
        instance_exports_listing,
        export_keys,
        instance_pre,
        // Calls, values and handles: instantiation is refused.
        call_dynamic,
        call_unchecked_agrees,
        call_typed,
        func_types,
        handles_wrong_store,
        wrong_store_references,
        values_i64_range,
        values_nan_payloads,
        values_v128,
        typed_wide,
        values_funcref,
        values_externref,
        values_gc_refs_and_tags,
        memory_ops,
        table_ops,
        global_ops,
        // Traps, stack and stops: nothing runs.
        traps,
        trap_stack_overflow,
        limit_wasm_stack,
        deep_recursion_by_default,
        fuel_disabled,
        deadline_stops_runaway,
        interrupt_from_another_thread,
        // Limits: the default table cap and the limiter are asked only when
        // instantiating and growing.
        huge_declarations_are_limit_errors,
        limiter_policy,
        limiter_table_grow_in_wasm,
        limiter_bounds_host_memory,
    ],
);

//! The WASI behaviour suite on the template backend, with the behaviours
//! it fails as its baseline (as `tests/behaviour.rs` does for the core
//! suite). wasm-run's WASI runs over the API, so a backend gets it by
//! running code: the behaviours that run a program fail on the template;
//! the three whose bad configuration or imports are refused before the
//! program starts pass. A backend started from this crate shrinks the list
//! as it implements the run-time.

#![cfg(feature = "wasi")]

use wasm_run_api::Engine;

wasm_run_conformance::wasi_tests!(
    template,
    wasm_run_template::Template::new,
    expected_failures = [
        hello_on_stdout_and_stderr,
        args_and_env_in_order,
        inherited_env,
        cat_copies_stdin,
        empty_stdin,
        streamed_output_arrives_in_order,
        capture_is_readable_during_the_run,
        files_in_a_preopened_dir,
        read_only_preopen_refuses_writes,
        escapes_fail_and_leave_the_host_untouched,
        deterministic_clock_and_random,
        real_clock_and_random,
        exit_codes,
        trap_is_an_error,
        reactor_initialize_then_exports,
        host_state_and_imports_coexist,
        run_command_with_extra_imports,
        missing_embedder_import_is_named,
        proc_exit_out_of_range_is_an_error,
        random_get_bounds_and_seed,
        linker_keeps_shadowing_off,
        posix_edges_agree,
        panicking_output_callback_is_an_error,
    ],
);

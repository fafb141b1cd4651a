//! Processes that hold sessions for long (the agent, the screen, `exec --ecs-server`) keep
//! them out of core dumps and away from debuggers of the same user.
//!
//! Linux: `PR_SET_DUMPABLE` 0. The process dumps no core (unless `fs.suid_dumpable` is 2, and
//! then only root reads it), `ptrace` by the same user is refused, and its `/proc/PID` files
//! (`environ`, `mem`, `maps`) belong to root. A command it starts is dumpable again, as
//! execve resets the flag: what it runs is not switchboard's to harden. `RLIMIT_CORE` is left
//! alone on purpose: a child would inherit it.

/// Marks this process as not dumpable; one line in the log when the system refuses.
pub fn keep_out_of_core_dumps() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_DUMPABLE takes an integer and touches nothing but this process's flag.
        let result = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
        if result != 0 {
            let error = std::io::Error::last_os_error();
            tracing::warn!("cannot keep this process out of core dumps (prctl PR_SET_DUMPABLE): {error}");
        }
    }
}

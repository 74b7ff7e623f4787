{
  "targets": [
    {
      "target_name": "lvsd_net",
      "sources": ["native/lvsd_net.c", "native/tcp_check_engine.c", "native/process_control.c", "native/proc_events.c", "native/script_spawn.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-pthread"],
      "ldflags": ["-pthread"],
      "libraries": ["-ldl"]
    }
  ]
}

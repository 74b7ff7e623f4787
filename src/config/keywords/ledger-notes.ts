// SPDX-License-Identifier: Apache-2.0
/**
 * What the keyword ledger (ledger.ts, docs/keywords.md) says about each keyword beyond what the
 * tables say: the module that carries an implemented keyword out, why a keyword is rejected, or why
 * one accepted has no effect. Pure data. A keyword's status comes from the tables (sections.ts);
 * these notes only name things. Keys are `section keyword` (section as in sections.ts) or, for
 * rejection reasons, a bare keyword valid in any section.
 */

/** The module that carries out a section's keywords unless a keyword note names another. */
export const sectionConsumers: Readonly<Record<string, string>> = {
  '(top level)': 'src/config/schema.ts (dispatch to the section)',
  global_defs: 'src/vrrp/config.ts',
  vrrp_script: 'src/vrrp/trackers.io.ts',
  vrrp_track_file: 'src/vrrp/trackers.io.ts',
  track_file: 'src/vrrp/trackers.io.ts',
  vrrp_track_process: 'src/vrrp/process-trackers.io.ts',
  vrrp_instance: 'src/vrrp/config.ts',
  'vrrp_instance/authentication': 'src/vrrp/config.ts',
  vrrp_sync_group: 'src/vrrp/sync-group-set.ts',
  virtual_server: 'src/check/from-model.ts',
  'virtual_server/real_server': 'src/check/from-model.ts',
  'virtual_server/real_server/TCP_CHECK': 'src/check/from-model.ts → src/check/tcp-engine.ts',
  'virtual_server/real_server/HTTP_GET': 'src/check/from-model.ts → src/check/http.io.ts',
  'virtual_server/real_server/HTTP_GET/url': 'src/check/from-model.ts → src/check/http.io.ts',
  'virtual_server/real_server/SSL_GET': 'src/check/from-model.ts → src/check/http.io.ts',
  'virtual_server/real_server/SSL_GET/url': 'src/check/from-model.ts → src/check/http.io.ts',
  'virtual_server/real_server/MISC_CHECK': 'src/check/from-model.ts → src/check/misc.io.ts',
  'virtual_server/real_server/DNS_CHECK': 'src/check/from-model.ts → src/check/dns.io.ts',
  'virtual_server/real_server/UDP_CHECK': 'src/check/from-model.ts → src/check/udp-probe.io.ts',
  'virtual_server/real_server/FILE_CHECK': 'src/check/from-model.ts → src/check/file.io.ts',
  'virtual_server/real_server/PING_CHECK': 'src/check/from-model.ts → src/check/ping.io.ts',
  'virtual_server/real_server/SMTP_CHECK': 'src/check/from-model.ts → src/check/smtp.io.ts',
  'virtual_server/real_server/SMTP_CHECK/host':
    'src/check/from-model.ts → src/check/smtp.io.ts (each host a checker of its own)',
  garp_group: 'src/vrrp/instance-spec.ts → src/vrrp/garp-pacer.ts (GARP/NA pacing per interface group)',
};

export type KeywordNote =
  /** Implemented, carried out by this module (when not the section's). */
  | { consumer: string }
  /** Accepted and checked, with no effect, for this reason. */
  | { meaningless: string }
  /** Accepted, and carried out by nothing yet (model-consumers.test.ts lists its Model field). */
  | { pending: string }
  /**
   * In the section's table only to refuse it with a message of its own: a located error (a warning
   * with --lenient, like keepalived keywords lvsd does not support); the reason is the ledger's.
   */
  | { refused: string };

const garpConsumer = { consumer: "src/vrrp/instance-spec.ts (through each instance's garp settings)" };
const resolved = (field: string): KeywordNote => ({
  consumer: `src/vrrp/config.ts (the default of each instance's \`${field}\`)`,
});
const mail = { consumer: 'src/daemon/mail.ts → src/mail/smtp.io.ts (the e-mail alerts)' };
const alertDefault = {
  consumer:
    'src/vrrp/instance-spec.ts, src/vrrp/sync-group-set.ts, src/check/from-model.ts (the default of each ' +
    "section's `smtp_alert`) → src/daemon/mail.ts",
};
const nftables = { consumer: 'src/vrrp/engine.ts → src/vrrp/firewall-table.ts' };
const staticConsumer = {
  consumer:
    'src/vrrp/engine.ts → src/vrrp/static-setup.ts (set at start whatever the VRRP states, removed at stop)',
};
const schedule = (worker: 'vrrp' | 'checker'): KeywordNote => ({
  consumer: `src/daemon/worker.ts → src/daemon/process-schedule.ts (the ${worker === 'vrrp' ? 'VRRP' : 'LVS'} worker's scheduling, at start and every reload)`,
});
const noSwapRefused = {
  refused:
    'mlockall makes a Node process abort (V8 returns memory with madvise, which fails on locked pages: measured); realtime scheduling (*_rt_priority) is what keeps a worker on time',
};
const iptablesRefused = {
  refused:
    'lvsd has no iptables/ipset backend: its VRRP firewall is an nftables table (`nftables [TABLE]`, or nothing: it is turned on by itself for no_accept and use_vmac)',
};

export const keywordNotes: Readonly<Record<string, KeywordNote>> = {
  'global_defs vrrp_priority': schedule('vrrp'),
  'global_defs vrrp_rt_priority': schedule('vrrp'),
  'global_defs vrrp_rlimit_rttime': schedule('vrrp'),
  'global_defs vrrp_rlimit_rtime': schedule('vrrp'),
  'global_defs checker_priority': schedule('checker'),
  'global_defs checker_rt_priority': schedule('checker'),
  'global_defs checker_rlimit_rttime': schedule('checker'),
  'global_defs checker_rlimit_rtime': schedule('checker'),
  'global_defs vrrp_no_swap': noSwapRefused,
  'global_defs checker_no_swap': noSwapRefused,
  'global_defs router_id': { consumer: 'src/daemon/mail.ts (the subject and body of e-mail alerts)' },
  'global_defs notification_email': mail,
  'global_defs notification_email_from': mail,
  'global_defs smtp_server': mail,
  'global_defs smtp_helo_name': mail,
  'global_defs smtp_connect_timeout': mail,
  'global_defs no_email_faults': mail,
  'global_defs no_checker_emails': mail,
  'global_defs smtp_alert': alertDefault,
  'global_defs smtp_alert_vrrp': alertDefault,
  'global_defs smtp_alert_checker': alertDefault,
  'global_defs nftables': nftables,
  'global_defs nftables_priority': nftables,
  'global_defs nftables_counters': nftables,
  'global_defs nftables_ifindex': {
    consumer: 'src/vrrp/firewall-table.ts (its link-local sets always key on the interface index)',
  },
  'global_defs vrrp_iptables': iptablesRefused,
  'global_defs vrrp_ipsets': iptablesRefused,
  'global_defs lvsd_metrics': { consumer: 'src/daemon/supervisor-daemon.ts → src/daemon/metrics-server.ts' },
  'global_defs lvsd_bgp_table': { consumer: 'src/daemon/bgp.ts → src/bgp/route-table.io.ts' },
  'global_defs lvsd_bgp_withdraw_grace': {
    consumer: 'src/daemon/bgp.ts (stop), src/daemon/supervisor-daemon.ts',
  },
  'global_defs lvsd_bgp_bird_socket': { consumer: 'src/daemon/bgp.ts → src/bgp/birdc.io.ts' },
  'global_defs lvsd_sloppy_tcp': { consumer: 'src/daemon/sloppy.ts' },
  'global_defs lvsd_sloppy_sctp': { consumer: 'src/daemon/sloppy.ts' },
  'global_defs vrrp_version': resolved('version'),
  'global_defs vrrp_mcast_group4': { consumer: 'src/vrrp/instance-spec.ts' },
  'global_defs vrrp_mcast_group6': { consumer: 'src/vrrp/instance-spec.ts' },
  'global_defs vrrp_garp_master_repeat': garpConsumer,
  'global_defs vrrp_garp_master_delay': garpConsumer,
  'global_defs vrrp_garp_master_refresh': garpConsumer,
  'global_defs vrrp_garp_master_refresh_repeat': garpConsumer,
  'global_defs vrrp_garp_lower_prio_repeat': garpConsumer,
  'global_defs vrrp_garp_lower_prio_delay': garpConsumer,
  'global_defs vrrp_garp_interval': garpConsumer,
  'global_defs vrrp_gna_interval': garpConsumer,
  'global_defs script_user': { consumer: 'src/vrrp/trackers.io.ts, src/check/from-model.ts' },
  'global_defs enable_script_security': { consumer: 'src/script/security.ts (via src/daemon/*-ports)' },
  'global_defs notify_fifo': {
    consumer: 'src/script/fifo.io.ts (via src/vrrp/notifier.io.ts, src/check/effects.ts)',
  },
  'global_defs vrrp_notify_fifo': { consumer: 'src/script/fifo.io.ts (via src/vrrp/notifier.io.ts)' },
  'global_defs lvs_notify_fifo': { consumer: 'src/script/fifo.io.ts (via src/check/effects.ts)' },
  'global_defs notify_fifo_script': {
    consumer:
      'src/script/fifo-readers.io.ts (started once, by the VRRP worker, else the LVS worker: src/daemon/vrrp-main.ts, check-main.ts)',
  },
  'global_defs vrrp_notify_fifo_script': {
    consumer: 'src/script/fifo-readers.io.ts (started by the VRRP worker: src/daemon/vrrp-main.ts)',
  },
  'global_defs lvs_notify_fifo_script': {
    consumer: 'src/script/fifo-readers.io.ts (started by the LVS worker: src/daemon/check-main.ts)',
  },
  'global_defs lvs_sync_daemon': { consumer: 'src/daemon/check-main.ts → src/check/sync-daemon.ts' },
  'global_defs lvs_timeouts': { consumer: 'src/daemon/check-main.ts → src/check/lvs-timeouts.ts' },
  'global_defs lvs_flush': { consumer: 'src/daemon/check-main.ts → src/ipvs/sync-loop.ts' },
  'global_defs lvs_flush_on_stop': { consumer: 'src/daemon/check-main.ts → src/ipvs/sync-loop.ts' },
  'global_defs lvs_flush_onstop': { consumer: 'src/daemon/check-main.ts → src/ipvs/sync-loop.ts' },
  'global_defs vrrp_strict': resolved('strict_mode'),
  'global_defs vrrp_check_unicast_src': resolved('check_unicast_src'),
  'global_defs vrrp_skip_check_adv_addr': resolved('skip_check_adv_addr'),
  'global_defs vrrp_lower_prio_no_advert': resolved('lower_prio_no_advert'),
  'global_defs vrrp_higher_prio_send_advert': resolved('higher_prio_send_advert'),
  'global_defs vrrp_startup_delay': { consumer: 'src/vrrp/config.ts' },
  'global_defs vrrp_down_timer_adverts': resolved('down_timer_adverts'),
  'global_defs vrrp_owner_ignore_adverts': resolved('owner_ignore_adverts'),
  'global_defs vrrp_notify_priority_changes': {
    consumer:
      "src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts (the default of each instance's `notify_priority_changes`)",
  },
  'global_defs process_monitor_rcv_bufs': { consumer: 'src/vrrp/process-trackers.io.ts' },
  'global_defs process_monitor_rcv_bufs_force': { consumer: 'src/vrrp/process-trackers.io.ts' },
  'global_defs include_check': { consumer: 'src/config/include.ts (applied while the files are read)' },
  'vrrp_script weight': { consumer: 'src/vrrp/config.ts' },
  'vrrp_track_file weight': { consumer: 'src/vrrp/config.ts' },
  'track_file weight': { consumer: 'src/vrrp/config.ts' },
  'vrrp_track_process weight': { consumer: 'src/vrrp/config.ts' },
  'vrrp_script rise': { consumer: 'src/vrrp/config.ts' },
  'vrrp_script fall': { consumer: 'src/vrrp/config.ts' },
  'vrrp_script init_fail': { consumer: 'src/vrrp/config.ts' },
  'vrrp_instance/authentication auth_type': {
    consumer: 'src/vrrp/config.ts (PASS) → src/vrrp/engine.ts, src/vrrp/ipsec-ah.ts (AH)',
  },
  'vrrp_instance interface': { consumer: 'src/vrrp/engine.ts' },
  'vrrp_instance virtual_ipaddress': { consumer: 'src/vrrp/addresses.ts' },
  'vrrp_instance virtual_ipaddress_excluded': {
    consumer:
      'src/vrrp/instance-spec.ts → src/vrrp/instance.ts (held with the VIPs on MASTER, never advertised)',
  },
  'vrrp_instance virtual_routes': {
    consumer: 'src/vrrp/instance-spec.ts → src/vrrp/instance.ts → src/vrrp/routing-hold.ts (in on MASTER)',
  },
  'vrrp_instance virtual_rules': {
    consumer: 'src/vrrp/instance-spec.ts → src/vrrp/instance.ts → src/vrrp/routing-hold.ts (in on MASTER)',
  },
  '(top level) static_ipaddress': staticConsumer,
  '(top level) static_routes': staticConsumer,
  '(top level) static_rules': staticConsumer,
  'vrrp_instance mcast_src_ip': { consumer: 'src/vrrp/addresses.ts' },
  'vrrp_instance unicast_src_ip': { consumer: 'src/vrrp/addresses.ts' },
  'vrrp_instance track_interface': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_instance track_script': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_instance track_file': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_instance track_process': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_instance notify_master': { consumer: 'src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts' },
  'vrrp_instance notify_backup': { consumer: 'src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts' },
  'vrrp_instance notify_fault': { consumer: 'src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts' },
  'vrrp_instance notify_stop': { consumer: 'src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts' },
  'vrrp_instance notify': { consumer: 'src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts' },
  'vrrp_instance notify_master_rx_lower_pri': {
    consumer: 'src/vrrp/instance-spec.ts → src/vrrp/instance.ts → src/vrrp/notifier.io.ts',
  },
  'vrrp_instance notify_priority_changes': {
    consumer: 'src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts',
  },
  'vrrp_instance notify_deleted': {
    consumer: 'src/vrrp/instance-spec.ts → src/vrrp/instance.ts (src/vrrp/notify.ts)',
  },
  'vrrp_instance smtp_alert': {
    consumer: 'src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts → src/daemon/mail.ts',
  },
  'vrrp_instance use_vmac': { consumer: 'src/vrrp/engine.ts → src/vrrp/vmac-host.ts' },
  'vrrp_instance vmac_xmit_base': { consumer: 'src/vrrp/engine.ts' },
  'vrrp_instance no_accept': {
    consumer: 'src/vrrp/config.ts, src/vrrp/engine.ts → src/vrrp/firewall-table.ts',
  },
  'vrrp_instance unicast_ttl': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_instance unicast_fault_no_peer': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_instance track_src_ip': { consumer: 'src/vrrp/addresses.ts' },
  'vrrp_instance garp_master_repeat': garpConsumer,
  'vrrp_instance garp_master_delay': garpConsumer,
  'vrrp_instance garp_master_refresh': garpConsumer,
  'vrrp_instance garp_master_refresh_repeat': garpConsumer,
  'vrrp_instance garp_lower_prio_repeat': garpConsumer,
  'vrrp_instance garp_lower_prio_delay': garpConsumer,
  'vrrp_instance garp_interval': garpConsumer,
  'vrrp_instance gna_interval': garpConsumer,
  'vrrp_sync_group track_interface': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_sync_group track_script': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_sync_group track_file': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_sync_group track_process': { consumer: 'src/vrrp/instance-spec.ts' },
  'vrrp_sync_group notify_priority_changes': {
    consumer:
      "src/vrrp/instance-spec.ts → src/vrrp/notifier.io.ts (through each member's `notify_priority_changes`)",
  },
  'vrrp_sync_group smtp_alert': {
    consumer: 'src/vrrp/sync-group-set.ts → src/vrrp/notifier.io.ts → src/daemon/mail.ts',
  },
  'virtual_server smtp_alert': {
    consumer: 'src/check/from-model.ts → src/check/effects.ts → src/daemon/mail.ts',
  },
  'virtual_server/real_server smtp_alert': {
    consumer: 'src/check/from-model.ts → src/check/effects.ts → src/daemon/mail.ts',
  },
  'virtual_server lb_kind': { consumer: 'src/check/from-model.ts, src/check/fullnat-plan.ts' },
  'virtual_server lvsd_bgp_announce': {
    consumer: 'src/check/from-model.ts → src/daemon/bgp.ts → src/bgp/announcements.ts',
  },
  'virtual_server lvs_method': { consumer: 'src/check/from-model.ts, src/check/fullnat-plan.ts' },
  'virtual_server/real_server/HTTP_GET fast_recovery': { consumer: 'src/check/from-model.ts (httpUrlRound)' },
  'virtual_server/real_server/SSL_GET fast_recovery': { consumer: 'src/check/from-model.ts (httpUrlRound)' },
  'virtual_server/real_server/PING_CHECK connect_port': {
    meaningless: 'an ICMP echo has no port (value checked)',
  },
  'virtual_server/real_server/HTTP_GET/url regex_stack': {
    meaningless:
      "sizes PCRE2's JIT stack; lvsd matches with a JavaScript RegExp, which has none (values checked)",
  },
  'virtual_server/real_server/SSL_GET/url regex_stack': {
    meaningless:
      "sizes PCRE2's JIT stack; lvsd matches with a JavaScript RegExp, which has none (values checked)",
  },
};

const bfd =
  'BFD is not implemented: lvsd has no RFC 5880/5881 speaker yet. Run FRR bfdd (Debian: frr) and follow a ' +
  'session with a vrrp_script or MISC_CHECK reading `vtysh -c "show bfd peer X json"`';

/** Why a keyword is rejected, for groups of keywords (bare names, any section; or `section keyword`). */
export const rejectionReasons: ReadonlyArray<{ reason: string; keywords: readonly string[] }> = [
  {
    reason: bfd,
    keywords: [
      'bfd_instance',
      'track_bfd',
      'BFD_CHECK',
      'bfd_priority',
      'bfd_rt_priority',
      'bfd_no_swap',
      'bfd_cpu_affinity',
      'bfd_rlimit_rttime',
      'bfd_rlimit_rtime',
      'bfd_process_name',
    ],
  },
  {
    reason: 'lvsd has no SNMP or D-Bus agent; it exports Prometheus metrics and `lvsd status --json`',
    keywords: [
      'enable_snmp_vrrp',
      'enable_snmp_keepalived',
      'enable_snmp_checker',
      'enable_snmp_rfc',
      'enable_snmp_rfcv2',
      'enable_snmp_rfcv3',
      'enable_traps',
      'snmp_socket',
      'enable_dbus',
      'dbus_service_name',
      'dbus_no_interface_name',
      'snmp_name',
      'snmp_rs_stats_update_interval',
      'snmp_vs_stats_update_interval',
      'enable_snmp_vrrp',
    ],
  },
  {
    reason:
      'CPU affinity and process naming are systemd settings for lvsd (CPUAffinity=; the unit names ' +
      'the processes); not accepted silently',
    keywords: [
      'vrrp_cpu_affinity',
      'checker_cpu_affinity',
      'process_names',
      'process_name',
      'vrrp_process_name',
      'checker_process_name',
      'lvs_process_name',
      'mem_check',
      'mem_check_log',
      'umask',
      'use_pid_dir',
      'child_wait_time',
      'random_seed',
    ],
  },
  {
    reason:
      'network namespaces: run lvsd in the namespace instead (`ip netns exec`, systemd NetworkNamespacePath=)',
    keywords: ['net_namespace', 'net_namespace_ipvs', 'namespace_with_ipsets', 'instance'],
  },
  {
    reason:
      "keepalived's nftables rules for IPVS (nftables_ipvs*) are not implemented; lvsd's nftables table is " +
      "VRRP's (no_accept, VMACs), and it has no iptables backend",
    keywords: ['nftables_ipvs', 'nftables_ipvs_priority', 'nftables_ipvs_start_fwmark'],
  },
  {
    reason:
      "keepalived's reload scheduling, state and config files: lvsd reloads with `lvsd reload` " +
      '(validated, with --dry-run) and reports with `lvsd status` and SIGUSR1',
    keywords: [
      'reload_check_config',
      'reload_time_file',
      'reload_repeat',
      'reload_file',
      'config_save_dir',
      'data_use_instance',
      'state_file_location',
      'stats_file_location',
      'json_file_location',
      'json_version',
      'tmp_config_directory',
      'json_dump_file',
      'state_dump_file',
      'stats_dump_file',
      'config_copy_directory',
    ],
  },
  {
    reason: "lvsd's socket buffers are sized by the kernel defaults (and process_monitor_rcv_bufs)",
    keywords: [
      'vrrp_netlink_cmd_rcv_bufs',
      'vrrp_netlink_cmd_rcv_bufs_force',
      'vrrp_netlink_monitor_rcv_bufs',
      'vrrp_netlink_monitor_rcv_bufs_force',
      'lvs_netlink_cmd_rcv_bufs',
      'lvs_netlink_cmd_rcv_bufs_force',
      'lvs_netlink_monitor_rcv_bufs',
      'lvs_netlink_monitor_rcv_bufs_force',
      'vrrp_rx_bufs_policy',
      'vrrp_rx_bufs_multiplier',
      'kernel_rx_buf_size',
      'rx_bufs_policy',
      'rx_bufs_multiplier',
    ],
  },
  {
    reason: "the SSL block sets a client certificate for SSL_GET; lvsd's SSL_GET does not present one",
    keywords: ['SSL', 'SSL password', 'SSL ca', 'SSL certificate', 'SSL key'],
  },
  {
    reason: 'lvs_sync_daemon belongs in global_defs (keepalived moved it there); here it is the old form',
    keywords: ['lvs_sync_daemon_interface', 'virtual_server lvs_sync_daemon'],
  },
  {
    reason:
      'lvsd follows link state from rtnetlink events (src/vrrp/host-view.ts); MII/ethtool polling is not implemented',
    keywords: ['linkbeat_use_polling', 'linkbeat_interfaces'],
  },
  {
    reason: 'not implemented: use track_interface in each instance (or in a vrrp_sync_group)',
    keywords: ['track_group'],
  },
  {
    reason: "not implemented: a tracked interface's state is taken at once",
    keywords: ['interface_up_down_delays'],
  },
  {
    reason: 'not implemented: use ExecStartPre= / ExecStopPost= in a systemd drop-in for lvsd.service',
    keywords: ['startup_script', 'startup_script_timeout', 'shutdown_script', 'shutdown_script_timeout'],
  },
  {
    reason:
      'automatic realtime priority: lvsd runs VRRP in its own process and exposes its timer lateness; ' +
      'set vrrp_rt_priority (on by default under systemd: lvsd run --realtime)',
    keywords: ['max_auto_priority', 'min_auto_priority_delay'],
  },
  {
    reason: 'not implemented globally: set log_all_failures in each checker',
    keywords: ['checker_log_all_failures'],
  },
  {
    reason:
      'lvsd always waits for a missing interface (the instance starts when it appears), so the switch has ' +
      'nothing to turn on: remove it',
    keywords: ['dynamic_interfaces'],
  },
  {
    reason: 'not implemented: name the interface in each vrrp_instance (and in lvs_sync_daemon)',
    keywords: ['default_interface'],
  },
  {
    reason: "not implemented: lvsd does not change the interfaces' IGMP or promote_secondaries sysctls",
    keywords: ['disable_local_igmp', 'promote_secondaries'],
  },
  {
    reason: 'not implemented: write the vrrp_garp_* settings it stands for',
    keywords: ['vrrp_min_garp'],
  },
  {
    reason: 'gratuitous ARP on extra interfaces is not implemented',
    keywords: ['vrrp_garp_extra_if', 'garp_extra_if'],
  },
  {
    reason:
      'VMAC options beyond use_vmac and vmac_xmit_base (its own address, prefixes, a GARP interval of its ' +
      'own) and ipvlan are not implemented',
    keywords: [
      'vrrp_vmac_garp_intvl',
      'vmac_garp_intvl',
      'vmac_prefix',
      'vmac_addr_prefix',
      'use_vmac_addr',
      'use_ipvlan',
    ],
  },
  {
    reason: 'not implemented: lvsd writes FIFO lines on state changes, not again on reload',
    keywords: ['fifo_write_vrrp_states_on_reload'],
  },
  {
    reason: "not implemented: real servers' initial states are not notified",
    keywords: ['rs_init_notifies'],
  },
  {
    reason:
      'not implemented: adverts lvsd drops are counted by reason in `lvsd status --json` and the SIGUSR1 dump',
    keywords: ['log_unknown_vrids'],
  },
  {
    reason:
      "lvsd sets the tracker weights of sync-group members to 0 with a warning (keepalived's default); keeping " +
      'them is not implemented',
    keywords: ['global_tracking', 'sync_group_tracking_weight'],
  },
  {
    reason:
      "compatibility with keepalived < 2.2's unicast checksum is not implemented: peers must be keepalived 2.2+ or lvsd",
    keywords: ['old_unicast_checksum'],
  },
  {
    reason: 'not implemented: an instance is IPv6 when its VIPs are',
    keywords: ['native_ipv6'],
  },
  { reason: 'VRF binding is not implemented', keywords: ['vrf'] },
  {
    reason: "not implemented: lvsd always tracks the instance's own interface",
    keywords: ['dont_track_primary'],
  },
  {
    reason: 'not implemented: set the group with vrrp_mcast_group4 / vrrp_mcast_group6',
    keywords: ['mcast_dst_ip'],
  },
  { reason: 'per-instance debug levels are not implemented', keywords: ['debug'] },
  {
    reason:
      'in the deprecated SMTP_CHECK `host` block lvsd reads only the connection options: set timing and ' +
      'log_all_failures on the SMTP_CHECK itself (or write one SMTP_CHECK per host)',
    keywords: [
      'host retry',
      'host delay_before_retry',
      'host warmup',
      'host delay_loop',
      'host alpha',
      'host log_all_failures',
    ],
  },
  {
    reason: "IP_VS_SVC_F_HASHED is the kernel's own bookkeeping flag; it cannot be set",
    keywords: ['virtual_server hashed'],
  },
  {
    reason: "keepalived's old virtual-server weight: set weight on each real_server",
    keywords: ['virtual_server weight'],
  },
];

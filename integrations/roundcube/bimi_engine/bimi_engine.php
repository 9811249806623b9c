<?php

/**
 * bimi_engine — brand indicators (BIMI) in Roundcube, from a bimi-engine service.
 *
 * For each message the user lists or opens, the plugin reads the raw message through the
 * storage API (IMAP), posts it to bimi-fcgi's POST /bimi/v1/evaluate (docs/api.md; the SMTP
 * envelope comes from the trusted MX's Received field, [auth] trusted_receivers) and caches
 * the decision in Roundcube's cache per (mailbox, UIDVALIDITY, UID, consent), so a message is
 * evaluated once, not at every list refresh.
 *
 *  - Message list: the sender's logo as an <img> of the engine's PNG (srcset 1x/2x), a
 *    checkmark badge for "logo+checkmark", nothing for "none".
 *  - Message view: the same logo in the header's contact photo, the caution banner and the
 *    engine's filter label when the decision carries them, the reason in words on hover.
 *  - Preference "Filter spoofed mail (DMARC)", off by default: the plugin passes consent=none, or
 *    with the preference on consent=dmarc, and moves a message whose filter.applied.action is quarantine or reject
 *    to the Junk folder (RFC 7489 §6.3 p=, RFC 9989 consent of the receiving user).
 *
 * Never inline SVG: the only images are PNGs the engine rendered from a validated SVG Tiny PS
 * logo, and only URLs under the engine's logo path (bimi_engine_logo_path) are used.
 * A failing or slow service never breaks the mailbox: a short timeout, no indicator, one log
 * line (logs/bimi_engine), and no further calls for bimi_engine_retry_after seconds.
 *
 * Configuration keys: config.inc.php.dist. Installation: README.md of bimi-engine, "Roundcube".
 */
class bimi_engine extends rcube_plugin
{
    public $task = 'mail|settings';

    /** Defaults of every configuration key (config.inc.php.dist documents them). */
    private const DEFAULTS = [
        'bimi_engine_url'               => 'http://127.0.0.1/bimi/v1/',
        'bimi_engine_token'             => '',
        'bimi_engine_timeout'           => 3,
        'bimi_engine_connect_timeout'   => 1,
        'bimi_engine_parallel'          => 4,
        'bimi_engine_max_message_bytes' => 10485760,
        'bimi_engine_logo_url'          => '',
        'bimi_engine_logo_path'         => '/bimi/v1/logo/',
        'bimi_engine_list_size'         => 32,
        'bimi_engine_header_size'       => 64,
        'bimi_engine_cache'             => 'db',
        'bimi_engine_cache_ttl'         => '7d',
        'bimi_engine_retry_after'       => 30,
        'bimi_engine_filter_folders'    => ['INBOX'],
        'bimi_engine_filter_dmarc'      => false,
    ];

    /** The reason codes of evaluate/evaluate.h that have a sentence in the localization. */
    private const REASONS = [
        'vmc', 'cmc', 'logo-without-evidence', 'no-from', 'dmarc-fail', 'dmarc-not-enforcing',
        'no-fcrdns', 'no-record', 'declined', 'invalid-record', 'svg-invalid', 'logo-fetch-failed',
        'evidence-fetch-failed', 'evidence-invalid', 'evidence-missing', 'logo-mismatch',
        'cmc-not-shown', 'svg-unrenderable', 'temperror',
    ];

    /** @var rcmail */
    private $rc;

    /** @var array|null the decision of the message being shown (message view), or null */
    private $view_decision = null;

    /** @var array UIDVALIDITY per folder, for this request */
    private $uidvalidity = [];

    public function init()
    {
        $this->rc = rcmail::get_instance();
        $this->load_config();

        if ($this->rc->task == 'mail') {
            $this->add_hook('messages_list', [$this, 'messages_list']);
            $this->add_hook('message_load', [$this, 'message_load']);
            $this->add_hook('template_object_contactphoto', [$this, 'contact_photo']);
            $this->add_hook('message_headers_output', [$this, 'message_headers_output']);
            $this->add_hook('message_objects', [$this, 'message_objects']);
            if (in_array($this->rc->action, ['', 'show', 'preview', 'print'])) {
                $this->include_stylesheet($this->local_skin_path() . '/bimi_engine.css');
            }
        }
        else if ($this->rc->task == 'settings') {
            $this->add_hook('preferences_list', [$this, 'preferences_list']);
            $this->add_hook('preferences_save', [$this, 'preferences_save']);
        }
    }

    /** A configuration value, its default from DEFAULTS. */
    private function cfg($key)
    {
        return $this->rc->config->get($key, self::DEFAULTS[$key]);
    }

    // ---- hooks: message list --------------------------------------------------------------

    /**
     * Hook messages_list: the logo (and checkmark) before the sender in each listed row;
     * with the DMARC filter on, messages whose filter.applied.action is quarantine/reject move
     * to Junk and leave the list.
     */
    public function messages_list($args)
    {
        if (empty($args['messages']) || !is_array($args['messages'])) {
            return $args;
        }

        // Only where the list shows senders: in Sent and Drafts (smart column "to") there is nothing to show.
        if (rcmail_action_mail_index::message_list_smart_column_name() != 'from') {
            return $args;
        }

        $storage = $this->rc->get_storage();
        $current = $storage->get_folder();
        $items   = [];
        foreach ($args['messages'] as $i => $header) {
            if (!is_object($header) || empty($header->uid)) {
                continue;
            }
            $items[$i] = [
                'folder' => isset($header->folder) && strlen($header->folder) ? $header->folder : $current,
                'uid'    => (int) $header->uid,
                'size'   => (int) ($header->size ?? 0),
            ];
        }

        $decisions = $this->decisions($items);
        $to_junk   = [];
        $size      = (int) $this->cfg('bimi_engine_list_size');

        foreach ($decisions as $i => $d) {
            $header = $args['messages'][$i];
            if ($this->should_move($d, $items[$i]['folder'])) {
                $to_junk[$items[$i]['folder']][$i] = $items[$i]['uid'];
                continue;
            }
            $html = $this->indicator_html($d, $size, 'list');
            if ($html === '') {
                continue;
            }
            // The smart From/To column ("fromto") and the plain one ("from"): the indicator first.
            $cols = is_array($header->list_cols ?? null) ? $header->list_cols : [];
            foreach (['fromto', 'from'] as $col) {
                $addr = rcmail_action_mail_index::address_string($header->from, 3, false, null,
                    $header->charset, null, false);
                $cols[$col] = $html . ($addr ?: '&nbsp;');
            }
            $header->list_cols = $cols;
            $header->list_flags = array_merge(is_array($header->list_flags ?? null) ? $header->list_flags : [],
                ['bimi' => $d['decision']]);
        }

        if (!empty($to_junk)) {
            $moved = $this->move_to_junk($to_junk);
            foreach ($moved as $i) {
                unset($args['messages'][$i]);
            }
            if (!empty($moved)) {
                $args['messages'] = array_values($args['messages']);
                $this->recount($current);
            }
        }

        return $args;
    }

    /**
     * Roundcube counted the folder (env messagecount, "Messages 1 to N of M") before this hook
     * moved messages out of it: count again and send the client the new count, page count and
     * text (a later set_rowcount command wins), and the new unread count.
     */
    private function recount($folder)
    {
        $storage = $this->rc->get_storage();
        if ($storage->get_folder() !== $folder || $storage->get_search_set()) {
            return;   // a search (possibly over several folders) keeps Roundcube's own count
        }
        $count = (int) $storage->count($folder, $storage->get_threading() ? 'THREADS' : 'ALL', true);
        $this->rc->output->set_env('messagecount', $count);
        $this->rc->output->set_env('pagecount', (int) ceil($count / max(1, (int) $storage->get_pagesize())));
        $this->rc->output->set_env('exists', (int) $storage->count($folder, 'EXISTS', true));
        $this->rc->output->command('set_rowcount', rcmail_action_mail_index::get_messagecount_text($count), $folder);
        rcmail_action_mail_index::send_unread_count($folder, true);
    }

    // ---- hooks: message view --------------------------------------------------------------

    /** Hook message_load (show, preview, print): evaluates (or reads the cache for) the message. */
    public function message_load($args)
    {
        if (!in_array($this->rc->action, ['show', 'preview', 'print'])) {
            return $args;
        }
        $msg = $args['object'];
        if (empty($msg->uid) || empty($msg->folder) || !empty($msg->context)) {
            return $args;
        }
        $d = $this->decisions([0 => ['folder' => $msg->folder, 'uid' => (int) $msg->uid,
            'size' => (int) ($msg->headers->size ?? 0)]]);
        $this->view_decision = $d[0] ?? null;
        if ($this->view_decision !== null && $this->should_move($this->view_decision, $msg->folder)) {
            // Opened before a list refresh could move it: move it now, show it with the warning.
            $this->move_to_junk([$msg->folder => [0 => (int) $msg->uid]]);
        }
        return $args;
    }

    /** Hook template_object_contactphoto: the brand's logo instead of the contact photo. */
    public function contact_photo($args)
    {
        $d = $this->view_decision;
        if ($d === null) {
            return $args;
        }
        $html = $this->indicator_html($d, (int) $this->cfg('bimi_engine_header_size'), 'header');
        if ($html !== '') {
            $args['content'] = $html;
        }
        else if (!empty($args['content'])) {
            // No logo: the placeholder photo says why on hover.
            $why = rcube::Q($this->why($d));
            $args['content'] = preg_replace('/^<img /', '<img title="' . $why . '" data-bimi-reason="'
                . rcube::Q($d['reason']) . '" ', $args['content'], 1);
        }
        return $args;
    }

    /** Hook message_headers_output: the sender's From value carries the verdict in words. */
    public function message_headers_output($args)
    {
        $d = $this->view_decision;
        if ($d === null || empty($args['output']['from'])) {
            return $args;
        }
        $from = &$args['output']['from'];
        $value = !empty($from['html']) ? $from['value'] : rcube::Q($from['value']);
        $badge = '';
        if ($d['decision'] === 'logo+checkmark') {
            $badge = ' <span class="bimi-verified" title="' . rcube::Q($this->why($d)) . '">'
                . '<span class="bimi-checkmark" role="img" aria-label="' . rcube::Q($this->gettext('verified'))
                . '"></span>' . rcube::Q($this->gettext('verified')) . '</span>';
        }
        $from['value'] = $value . $badge;
        $from['html'] = true;
        return $args;
    }

    /** Hook message_objects: the caution banner and the filter's warning label above the body. */
    public function message_objects($args)
    {
        $d = $this->view_decision;
        if ($d === null) {
            return $args;
        }
        // Each text its own line (a block element), never run together into one sentence.
        $lines = [];
        if (!empty($d['caution']['text'])) {
            $lines[] = html::div(['class' => 'bimi-caution-text'], rcube::Q($this->caution_text($d['caution'])));
        }
        if (!empty($d['label']['text'])) {
            $lines[] = html::div(['class' => 'bimi-label-text', 'data-code' => $d['label']['code']],
                rcube::Q($this->label_text($d['label'])));
        }
        if (empty($lines) && $d['reason'] === 'dmarc-fail') {
            // An engine without the filter and caution members: the DMARC failure itself warns.
            $lines[] = html::div(['class' => 'bimi-label-text'], rcube::Q($this->why($d)));
        }
        if (empty($lines)) {
            return $args;
        }
        // With the DMARC filter on, a quarantine/reject message went (or goes now) to Junk.
        $filtered = $this->cfg('bimi_engine_filter_dmarc') && in_array($d['applied'], ['quarantine', 'reject'], true);
        $title = rcube::Q($this->gettext($filtered ? 'movedtojunk' : 'caution'));
        $args['content'][] = html::div([
                'class' => 'notice warning bimi-caution boxwarning',
                'id' => 'bimi-caution',
                'role' => 'alert',
                'title' => $this->why($d),
                'data-bimi-reason' => $d['reason'],
            ],
            html::div(['class' => 'bimi-caution-title'], $title) . implode('', $lines));
        return $args;
    }

    // ---- hooks: preferences ---------------------------------------------------------------

    /** Hook preferences_list: "Filter spoofed mail (DMARC)" in Preferences → Mailbox View. */
    public function preferences_list($args)
    {
        if ($args['section'] != 'mailbox') {
            return $args;
        }
        $this->add_texts('localization/');
        $dont_override = (array) $this->rc->config->get('dont_override', []);
        if (in_array('bimi_engine_filter_dmarc', $dont_override)) {
            return $args;
        }
        $id = 'rcmfd_bimi_engine_filter_dmarc';
        $checkbox = new html_checkbox(['name' => '_bimi_engine_filter_dmarc', 'id' => $id, 'value' => 1]);
        $args['blocks']['bimi_engine'] = [
            'name'    => rcube::Q($this->gettext('prefsection')),
            'options' => [
                'bimi_engine_filter_dmarc' => [
                    'title'   => html::label($id, rcube::Q($this->gettext('filterdmarc'))),
                    'content' => $checkbox->show($this->cfg('bimi_engine_filter_dmarc') ? 1 : 0)
                        . html::div(['class' => 'form-text text-muted bimi-pref-hint'],
                            rcube::Q($this->gettext('filterdmarchint'))),
                ],
            ],
        ];
        return $args;
    }

    /** Hook preferences_save: stores the preference (a boolean). */
    public function preferences_save($args)
    {
        if ($args['section'] == 'mailbox') {
            $args['prefs']['bimi_engine_filter_dmarc'] = !empty($_POST['_bimi_engine_filter_dmarc']);
        }
        return $args;
    }

    // ---- decisions --------------------------------------------------------------------------

    /**
     * The consent this user gives (docs/api.md, consent=): "dmarc" with the preference on, else "none"
     * (the user's word, not the service's [filter] default_consent).
     */
    private function consent()
    {
        return $this->cfg('bimi_engine_filter_dmarc') ? 'dmarc' : 'none';
    }

    private function should_move(array $d, $folder)
    {
        if (!$this->cfg('bimi_engine_filter_dmarc') || !in_array($d['applied'] ?? '', ['quarantine', 'reject'], true)) {
            return false;
        }
        $junk = (string) $this->rc->config->get('junk_mbox');
        return $junk !== '' && $folder !== $junk
            && in_array($folder, (array) $this->cfg('bimi_engine_filter_folders'), true);
    }

    /**
     * Moves [folder => [index => uid]] to the Junk folder (created when missing). Returns the
     * indexes moved.
     */
    private function move_to_junk(array $by_folder)
    {
        $storage = $this->rc->get_storage();
        $junk    = (string) $this->rc->config->get('junk_mbox');
        $moved   = [];
        if (!$storage->folder_exists($junk) && !$storage->create_folder($junk, true)) {
            $this->log("cannot create the Junk folder \"$junk\"");
            return $moved;
        }
        foreach ($by_folder as $folder => $uids) {
            if ($storage->move_message(array_values($uids), $junk, $folder)) {
                $moved = array_merge($moved, array_keys($uids));
                $this->log(sprintf('moved %d message(s) from %s to %s: filter.applied quarantine/reject (consent=dmarc)',
                    count($uids), $folder, $junk));
            }
            else {
                $this->log("moving UIDs " . implode(',', $uids) . " of $folder to $junk failed");
            }
        }
        return $moved;
    }

    private function cache()
    {
        $ttl = $this->cfg('bimi_engine_cache_ttl');
        return $this->rc->get_cache('bimi_engine', $this->cfg('bimi_engine_cache'), $ttl, true);
    }

    /** Seconds of bimi_engine_cache_ttl ('7d', '12h', seconds), as rcube_cache bounds it (30 days). */
    private function cache_lifetime()
    {
        return min((int) get_offset_sec($this->cfg('bimi_engine_cache_ttl')), 2592000);
    }

    private function uidvalidity($folder)
    {
        if (!array_key_exists($folder, $this->uidvalidity)) {
            $data = $this->rc->get_storage()->folder_data($folder);
            $this->uidvalidity[$folder] = isset($data['UIDVALIDITY']) ? (string) $data['UIDVALIDITY'] : '';
        }
        return $this->uidvalidity[$folder];
    }

    /** The cache key of one message: (mailbox, UIDVALIDITY, UID, consent). */
    private function cache_key($folder, $uid)
    {
        return 'd.' . md5($folder) . '.' . $this->uidvalidity($folder) . '.' . $uid . '.' . $this->consent();
    }

    /**
     * The decisions of the messages [index => ['folder', 'uid', 'size']]: from the cache, else
     * evaluated (in parallel). Returns [index => compact decision]; a message whose
     * evaluation failed has no entry (no indicator) and is not cached.
     */
    private function decisions(array $items)
    {
        if (!function_exists('curl_multi_init')) {
            // Without php-curl: no indicators at all, one log line per session, never an error page.
            if (empty($_SESSION['bimi_engine_nocurl_logged'])) {
                $_SESSION['bimi_engine_nocurl_logged'] = true;
                $this->log('PHP has no curl extension (Debian: apt install php-curl): no indicators shown');
            }
            return [];
        }
        $cache  = $this->cache();
        $out    = [];
        $todo   = [];
        foreach ($items as $i => $it) {
            if ($this->uidvalidity($it['folder']) === '') {
                continue;
            }
            $key = $this->cache_key($it['folder'], $it['uid']);
            $hit = $cache ? $cache->get($key) : null;
            // An entry is ['d' => decision, 'exp' => unix time]; an expired (or older-format) one is a miss.
            if (is_array($hit) && isset($hit['d']['decision'], $hit['exp']) && $hit['exp'] > time()) {
                $out[$i] = $hit['d'] + ['_folder' => $it['folder']];
            }
            else {
                $todo[$i] = $it + ['key' => $key];
            }
        }
        if (empty($todo)) {
            return $out;
        }
        $down = $_SESSION['bimi_engine_down_until'] ?? 0;
        if ($down > time()) {
            return $out;
        }

        // Messages over the size limit (RFC822.SIZE from the list's headers) are neither read nor
        // sent: no indicator. The others are read over IMAP only when a parallel slot opens, so at
        // most bimi_engine_parallel raw messages are in memory at once.
        $storage = $this->rc->get_storage();
        $current = $storage->get_folder();
        $max     = (int) $this->cfg('bimi_engine_max_message_bytes');
        $send    = [];
        foreach ($todo as $i => $it) {
            if ($max <= 0 || $it['size'] <= $max) {
                $send[] = $i;
            }
        }
        $read = function ($i) use ($storage, $todo, $max) {
            $it = $todo[$i];
            if ($storage->get_folder() !== $it['folder']) {
                $storage->set_folder($it['folder']);
            }
            $raw = $storage->get_raw_body($it['uid']);
            return is_string($raw) && $raw !== '' && ($max <= 0 || strlen($raw) <= $max) ? $raw : null;
        };

        $errors = [];
        $posted = $this->post_all($send, $read, $errors);
        if ($storage->get_folder() !== $current) {
            $storage->set_folder($current);
        }
        foreach ($posted as $i => $d) {
            $out[$i] = $d + ['_folder' => $todo[$i]['folder']];
            if ($cache) {
                // The engine's ttl (seconds the answer may be cached; short for a temperror), capped
                // by the cache's lifetime; no ttl member: the cache's lifetime.
                $life = $this->cache_lifetime();
                $ttl  = $d['ttl'] === null ? $life : min($d['ttl'], $life);
                if ($ttl > 0) {
                    $cache->set($todo[$i]['key'], ['d' => $d, 'exp' => time() + $ttl]);
                }
            }
        }
        if (!empty($errors)) {
            // One line per view, however many messages failed; then a pause before the next try.
            $_SESSION['bimi_engine_down_until'] = time() + (int) $this->cfg('bimi_engine_retry_after');
            $this->log(sprintf('evaluate failed for %d message(s), no indicator shown; first: %s; next try in %d s',
                count($errors), reset($errors), (int) $this->cfg('bimi_engine_retry_after')));
        }
        return $out;
    }

    /**
     * POSTs the raw message of each index of $indexes to /evaluate, at most
     * bimi_engine_parallel at a time. $read(index) returns the raw message (string), or null to
     * skip it (no post, no error); it is called only when a slot opens, and the body is released
     * when its request ends. bimi_engine_timeout is a deadline for the whole call (the
     * page), not per request: at the deadline the requests in flight are aborted and the ones not
     * started are dropped, each with an entry in $errors (no indicator). Each request also has
     * bimi_engine_connect_timeout to connect. After the first failure of the service itself (no
     * connection, a timeout, an HTTP 5xx) no further request is started: a hung or overloaded
     * service costs one request per page, not one per message.
     * Returns [index => compact decision]; failures go to $errors [index => text].
     */
    private function post_all(array $indexes, callable $read, array &$errors)
    {
        $out = [];
        if (empty($indexes)) {
            return $out;
        }
        $url = rtrim((string) $this->cfg('bimi_engine_url'), '/') . '/evaluate?consent=' . rawurlencode($this->consent());
        $headers = ['Content-Type: message/rfc822', 'Accept: application/json', 'Expect:'];
        $token = (string) $this->cfg('bimi_engine_token');
        if ($token !== '') {
            $headers[] = 'Authorization: Bearer ' . $token;
        }
        $timeout_ms = (int) round(1000 * (float) $this->cfg('bimi_engine_timeout'));
        $connect_ms = (int) round(1000 * (float) $this->cfg('bimi_engine_connect_timeout'));

        $deadline = microtime(true) + max(1, $timeout_ms) / 1000;
        $multi   = curl_multi_init();
        $queue   = array_values($indexes);
        $running = [];
        $start = function ($i) use ($multi, $url, $headers, $read, $deadline, $connect_ms, &$running) {
            $body = $read($i);
            if ($body === null) {
                return false;
            }
            // What is left of the page's deadline bounds this request.
            $left_ms = (int) ceil(1000 * ($deadline - microtime(true)));
            $ch = curl_init($url);
            curl_setopt_array($ch, [
                CURLOPT_POST => true,
                CURLOPT_POSTFIELDS => $body,
                CURLOPT_HTTPHEADER => $headers,
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_TIMEOUT_MS => max(1, $left_ms),
                CURLOPT_CONNECTTIMEOUT_MS => max(1, min($connect_ms, max(1, $left_ms))),
                CURLOPT_NOSIGNAL => true,
                CURLOPT_FOLLOWLOCATION => false,
                CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            ]);
            unset($body);   // curl holds the copy until the handle is closed
            curl_multi_add_handle($multi, $ch);
            $running[(int) $ch] = [$i, $ch];
            return true;
        };
        $parallel = max(1, (int) $this->cfg('bimi_engine_parallel'));
        // Set at the first failure of the service itself (no connection, a timeout, a 5xx): the
        // messages not yet sent are not sent (they would fail the same way), one log line for all.
        $broken = null;
        // Fills the free slots (a skipped message frees its slot for the next one).
        $fill = function () use (&$queue, &$running, &$broken, $parallel, $start, $deadline) {
            while ($broken === null && !empty($queue) && count($running) < $parallel && microtime(true) < $deadline) {
                $start(array_shift($queue));
            }
        };
        $fill();
        do {
            curl_multi_exec($multi, $active);
            while ($info = curl_multi_info_read($multi)) {
                $ch = $info['handle'];
                list($i) = $running[(int) $ch];
                unset($running[(int) $ch]);
                $body   = curl_multi_getcontent($ch);
                $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
                if ($info['result'] !== CURLE_OK) {
                    $errors[$i] = curl_strerror($info['result']) . ' (' . curl_error($ch) . ')';
                    $broken = $broken ?? $errors[$i];
                }
                else if ($status !== 200) {
                    // The engine's JSON error names the problem; anything else (nginx's HTML page
                    // for a 502) is not worth a log line's room.
                    $e = json_decode((string) $body, true);
                    $e = is_array($e) && isset($e['error']) ? $e['error'] : null;
                    $e = is_string($e) ? $e : ($e === null ? '' : json_encode($e, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
                    $errors[$i] = "HTTP $status" . ($e !== '' ? ': ' . substr(preg_replace('/\s+/', ' ', $e), 0, 200) : '');
                    if ($status >= 500) {
                        $broken = $broken ?? $errors[$i];
                    }
                }
                else if (($d = $this->compact(json_decode((string) $body, true))) === null) {
                    $errors[$i] = 'the answer is not a decision object';
                }
                else {
                    $out[$i] = $d;
                }
                curl_multi_remove_handle($multi, $ch);
                curl_close($ch);
                if (!empty($queue)) {
                    $fill();
                    curl_multi_exec($multi, $active);
                }
            }
            $left = $deadline - microtime(true);
            if (($active || !empty($running)) && $left > 0) {
                curl_multi_select($multi, min(0.1, $left));
            }
        } while (($active || !empty($running)) && microtime(true) < $deadline);
        // The page's deadline: abort what is in flight, drop what never started (no indicator;
        // the caller logs one line for all of them).
        foreach ($running as list($i, $ch)) {
            $errors[$i] = sprintf('aborted at the page deadline (bimi_engine_timeout %d ms)', $timeout_ms);
            curl_multi_remove_handle($multi, $ch);
            curl_close($ch);
        }
        foreach ($queue as $i) {
            $errors[$i] = $broken !== null ? 'not sent: the service failed on an earlier message'
                : sprintf('not sent: the page deadline (bimi_engine_timeout %d ms) passed', $timeout_ms);
        }
        curl_multi_close($multi);
        return $out;
    }

    /**
     * The part of a decision object (docs/api.md) the plugin shows, checked: the PNG URLs only
     * when they are under the engine's logo path, as /<sha256>/<px>.png. Null when $j is not a
     * decision.
     */
    private function compact($j)
    {
        if (!is_array($j) || !in_array($j['decision'] ?? null, ['logo', 'logo+checkmark', 'none'], true)) {
            return null;
        }
        $d = [
            'decision' => $j['decision'],
            'reason'   => is_string($j['reason'] ?? null) ? $j['reason'] : '',
            'png'      => [],
            'alt'      => '',
            'org'      => '',
            'mark'     => '',
            'applied'  => '',
            'label'    => null,
            'caution'  => null,
            // Seconds the decision may be cached (docs/api.md "ttl"); null when absent.
            'ttl'      => is_int($j['ttl'] ?? null) && $j['ttl'] >= 0 ? $j['ttl'] : null,
        ];
        if ($d['decision'] !== 'none' && is_array($j['indicator']['png'] ?? null)) {
            $path = preg_quote(rtrim((string) $this->cfg('bimi_engine_logo_path'), '/'), '#');
            foreach ($j['indicator']['png'] as $px => $u) {
                if (ctype_digit((string) $px) && is_string($u)
                    && preg_match('#^' . $path . '/[0-9a-f]{64}/' . (int) $px . '\.png$#', $u)) {
                    $d['png'][(int) $px] = $u;
                }
            }
            ksort($d['png']);
            $d['alt'] = is_string($j['indicator']['alt'] ?? null) ? $j['indicator']['alt'] : '';
        }
        if ($d['decision'] !== 'none' && empty($d['png'])) {
            $d['decision'] = 'none';
        }
        if (is_array($j['mark'] ?? null)) {
            $d['org']  = is_string($j['mark']['organization'] ?? null) ? $j['mark']['organization'] : '';
            $d['mark'] = is_string($j['mark']['mark_type'] ?? null) ? $j['mark']['mark_type'] : '';
        }
        // The shared members of the consent and caution features; absent or null: nothing to show.
        $f = $j['filter'] ?? null;
        if (is_array($f)) {
            $a = $f['applied']['action'] ?? '';
            $d['applied'] = in_array($a, ['deliver', 'quarantine', 'reject'], true) ? $a : '';
            if (is_array($f['label'] ?? null) && is_string($f['label']['text'] ?? null) && $f['label']['text'] !== '') {
                $d['label'] = ['code' => (string) ($f['label']['code'] ?? ''), 'text' => $f['label']['text']];
            }
        }
        $c = $j['caution'] ?? null;
        if (is_array($c) && is_string($c['text'] ?? null) && $c['text'] !== '') {
            $d['caution'] = ['text' => $c['text'], 'brand' => is_string($c['brand'] ?? null) ? $c['brand'] : ''];
        }
        return $d;
    }

    // ---- output -------------------------------------------------------------------------------

    /** The reason code in words (localization reason_<code>), with the certificate holder. */
    private function why(array $d)
    {
        $this->add_texts('localization/');
        $code = $d['reason'];
        $text = in_array($code, self::REASONS, true)
            ? $this->gettext('reason_' . str_replace('-', '_', $code))
            : $this->gettext(['name' => 'reason_other', 'vars' => ['code' => $code]]);
        if (($code === 'vmc' || $code === 'cmc') && $d['org'] !== '') {
            $text .= ' — ' . $d['org'] . ($d['mark'] !== '' ? ' (' . $d['mark'] . ')' : '');
        }
        return $text;
    }

    /**
     * The filter's warning label in the user's language: the engine's text (English) unless the
     * localization has label_<code> for a language other than English.
     */
    private function label_text(array $label)
    {
        $this->add_texts('localization/');
        $name = 'label_' . str_replace('-', '_', $label['code']);
        if (strpos((string) $this->rc->get_user_language(), 'en') !== 0
            && preg_match('/^label_[a-z_]+$/', $name) && $this->rc->text_exists($name, 'bimi_engine')) {
            return $this->gettext($name);
        }
        return $label['text'];
    }

    /**
     * The caution's sentence in the user's language: the engine's text (English) for an English UI or
     * without a brand name, else the localized caution_claims with the brand the message claims.
     */
    private function caution_text(array $caution)
    {
        $this->add_texts('localization/');
        if ($caution['brand'] === '' || strpos((string) $this->rc->get_user_language(), 'en') === 0
            || !$this->rc->text_exists('caution_claims', 'bimi_engine')) {
            return $caution['text'];
        }
        return $this->gettext(['name' => 'caution_claims', 'vars' => ['brand' => $caution['brand']]]);
    }

    /** The browser URL of the PNG of $px pixels, else the smallest larger one, else the largest. */
    private function png_url(array $png, $px, &$got = null)
    {
        if (empty($png)) {
            return null;
        }
        $sizes = array_keys($png);
        $pick = end($sizes);
        foreach ($sizes as $s) {
            if ($s >= $px) {
                $pick = $s;
                break;
            }
        }
        $got = $pick;
        return rtrim((string) $this->cfg('bimi_engine_logo_url'), '/') . $png[$pick];
    }

    /**
     * The indicator's HTML for $px CSS pixels: <span class="bimi-indicator"> with an <img> of
     * the engine's PNG (srcset 1x, 2x) and, for logo+checkmark, the checkmark badge; "" for none.
     */
    private function indicator_html(array $d, $px, $where)
    {
        if (!in_array($d['decision'], ['logo', 'logo+checkmark'], true)) {
            return '';
        }
        $this->add_texts('localization/');
        $src = $this->png_url($d['png'], $px, $got1);
        if ($src === null) {
            return '';
        }
        $x2 = $this->png_url($d['png'], 2 * $px, $got2);
        $why = $this->why($d);
        // html::img() drops srcset and referrerpolicy: the same tag with those attributes allowed.
        $img = html::tag('img', [
            'class'          => 'bimi-logo',
            'src'            => $src,
            'srcset'         => $got2 > $got1 ? "$src 1x, $x2 2x" : null,
            'width'          => $px,
            'height'         => $px,
            'alt'            => $d['alt'] !== '' ? $d['alt'] : $this->gettext('logo'),
            'title'          => $why,
            'referrerpolicy' => 'no-referrer',
            'decoding'       => 'async',
        ], null, array_merge(html::$common_attrib,
            ['src', 'srcset', 'alt', 'width', 'height', 'referrerpolicy', 'decoding']));
        $badge = '';
        if ($d['decision'] === 'logo+checkmark') {
            $badge = html::span(['class' => 'bimi-checkmark', 'role' => 'img',
                'aria-label' => $this->gettext('verified'), 'title' => $this->gettext('verified')], '');
        }
        return html::span([
                'class' => 'bimi-indicator bimi-' . $where,
                'data-bimi-decision' => $d['decision'],
                'data-bimi-reason' => $d['reason'],
                'title' => $why,
                'style' => "width:{$px}px;height:{$px}px",
            ], $img . $badge);
    }

    private function log($line)
    {
        rcube::write_log('bimi_engine', $line);
    }
}

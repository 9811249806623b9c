-- bench/evaluate.lua — wrk script of bench/service.sh, case (c): every request is
-- POST <the URL given to wrk> with the message in $BENCH_BODY_FILE as its body
-- (Content-Type message/rfc822); the envelope is in the URL's query string.
local path = os.getenv("BENCH_BODY_FILE")
local f = assert(io.open(path, "rb"), "bench/evaluate.lua: cannot open BENCH_BODY_FILE " .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "message/rfc822"

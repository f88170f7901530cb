-- wrk script for bench/api_latency.py: every request POSTs a new claim (fresh setl_id) of one
-- of the prepared persons to /api/settlements.
--   wrk -t1 -cN -dS -s bench/settle_load.lua URL -- PERSONS_FILE TOKEN RUN_ID
-- PERSONS_FILE has one "psn_no certno" per line. The summary is printed as one JSON line.
local persons = {}
local token, run_id
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local psn_no, certno = line:match("^(%S+)%s+(%S+)$")
    table.insert(persons, {psn_no, certno})
  end
  token = args[2]
  run_id = args[3]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  counter = counter + 1
  local p = persons[(counter % #persons) + 1]
  local month = 1 + counter % 12
  local body = string.format(
    '{"setl_id":"W%s-%d-%d","psn_no":"%s","certno":"%s","insuplc_admdvs":"421200",' ..
    '"med_type":"21","hosp_lv":"05","setl_time":"2023-%02d-15T10:00:00",' ..
    '"begndate":"2023-%02d-10","enddate":"2023-%02d-15","medfee_sumamt":%d,' ..
    '"fulamt_ownpay_amt":300}',
    run_id, tid, counter, p[1], p[2], month, month, month, 8000 + counter % 500)
  return wrk.format(nil, "/api/settlements", nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end

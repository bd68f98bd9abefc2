-- wrk script: cycles through bench/questions.txt (QUESTIONS) on PATH_PREFIX .. question.
local questions = {}
for line in io.lines(os.getenv("QUESTIONS")) do
  if #line > 0 then table.insert(questions, line) end
end
local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local counter = 0
local path_prefix = os.getenv("PATH_PREFIX") or "/v1/search?k=10&q="
request = function()
  counter = counter + 1
  local q = questions[(counter * 7919) % #questions + 1]
  return wrk.format("GET", path_prefix .. encode(q))
end

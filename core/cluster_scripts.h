/*
 * cluster_scripts.h - the Lua scripts cluster mode runs in Redis (docs/cluster.md).
 * Each runs atomically, so a push takes its sequence, is stored and is
 * published to the nodes holding its key in one step: that is what makes a
 * key's order the same on every node.
 *
 * Redis keys (P = the prefix, ID = the key id: kind byte + text):
 *   P n:ID   the key's sequence counter (INCR; never deleted, so sequences
 *            never go backwards while a connection may hold a position)
 *   P o:ID   the key's outbox: a stream, entry id "SEQ-0", fields t (push
 *            time, ms, Redis' clock) and p (payload); only unconfirmed
 *            messages (confirmation trims it)
 *   P r:ID   tries per message (hash "SEQ-0" -> deliveries ended broken)
 *   P p:ID   presence: hash node -> 1 for every node holding a live connection,
 *            0 while all its connections of the key are over their output cap
 *   P exp    sorted set ID -> push time of its oldest message (ttl sweeps)
 *   P depth  messages held over all keys (stats)
 *   P node:N a node's liveness (hash conns, bound; PEXPIRE 5 s, refreshed 1/s)
 *   P nodes  set of node ids (stats)
 * Channels: P ch:N, one per node. Notices on it (C side: cluster.c):
 *   "m SEQ T FLOOR LEN:IDpayload"  a message (drop <= FLOOR first: queue_limit)
 *   "t UPTO 0 0 LEN:ID"            drop every message <= UPTO (confirm, ttl)
 *   "x SEQ 0 0 LEN:ID"             drop one message (retry_max)
 *   "h"                            the node's own heartbeat
 * Lua 5.1 prints integers below 1e14 without a fraction or exponent, which
 * covers sequences and millisecond times.
 */
#ifndef WSP_CLUSTER_SCRIPTS_H
#define WSP_CLUSTER_SCRIPTS_H

/* Shared helpers, prepended to every script. */
#define WSP_LUA_COMMON \
    "local function nowms() local t = redis.call('TIME') " \
    "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end\n" \
    "local function seqof(eid) return tonumber(string.match(eid, '^(%d+)')) end\n" \
    "local function oldest(stream, exp, id)\n" \
    "  local f = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)\n" \
    "  if #f == 0 then redis.call('ZREM', exp, id) redis.call('DEL', stream)\n" \
    "  else redis.call('ZADD', exp, f[1][2][2], id) end\n" \
    "end\n" \
    "local function tell(pres, prefix, skip, msg)\n" \
    "  for _, node in ipairs(redis.call('HKEYS', pres)) do\n" \
    "    if node ~= skip then redis.call('PUBLISH', prefix .. 'ch:' .. node, msg) end\n" \
    "  end\n" \
    "end\n"

/* PUSH  KEYS: counter stream tries presence exp depth
 *       ARGV: payload id queue_limit prefix node self_live
 * self_live: the pushing node's own answer for its connections of the key
 * (known exactly there, output caps included), in place of its presence
 * entry. Other nodes count when their entry is 1 and they are alive.
 * -> {seq, live nodes reached, {dropped eid, payload, ...}} */
#define WSP_LUA_PUSH WSP_LUA_COMMON \
    "local now = nowms()\n" \
    "local seq = redis.call('INCR', KEYS[1])\n" \
    "redis.call('XADD', KEYS[2], seq .. '-0', 't', now, 'p', ARGV[1])\n" \
    "redis.call('INCR', KEYS[6])\n" \
    "redis.call('ZADD', KEYS[5], 'NX', now, ARGV[2])\n" \
    "local limit = tonumber(ARGV[3])\n" \
    "local dropped, floor = {}, 0\n" \
    "local len = redis.call('XLEN', KEYS[2])\n" \
    "if len > limit then\n" \
    "  for _, e in ipairs(redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', len - limit)) do\n" \
    "    redis.call('XDEL', KEYS[2], e[1]) redis.call('HDEL', KEYS[3], e[1])\n" \
    "    dropped[#dropped + 1] = e[1] dropped[#dropped + 1] = e[2][4]\n" \
    "    floor = seqof(e[1])\n" \
    "  end\n" \
    "  redis.call('DECRBY', KEYS[6], #dropped / 2)\n" \
    "  oldest(KEYS[2], KEYS[5], ARGV[2])\n" \
    "end\n" \
    "local msg = 'm ' .. seq .. ' ' .. now .. ' ' .. floor .. ' ' .. #ARGV[2] .. ':' .. ARGV[2] .. ARGV[1]\n" \
    "local live = 0\n" \
    "if ARGV[6] == '1' then live = 1 end\n" \
    "local pres = redis.call('HGETALL', KEYS[4])\n" \
    "for i = 1, #pres, 2 do\n" \
    "  local node = pres[i]\n" \
    "  if redis.call('PUBLISH', ARGV[4] .. 'ch:' .. node, msg) == 0 then\n" \
    "    redis.call('HDEL', KEYS[4], node)\n" \
    "  elseif node ~= ARGV[5] and pres[i + 1] == '1'\n" \
    "         and redis.call('EXISTS', ARGV[4] .. 'node:' .. node) == 1 then\n" \
    "    live = live + 1\n" \
    "  end\n" \
    "end\n" \
    "return {seq, live, dropped}\n"

/* ATTACH  KEYS: counter stream presence   ARGV: node
 * -> {counter, {{eid, {'t', T, 'p', payload}}, ...}} */
#define WSP_LUA_ATTACH \
    "redis.call('HSET', KEYS[3], ARGV[1], 1)\n" \
    "local n = redis.call('GET', KEYS[1])\n" \
    "if not n then n = 0 end\n" \
    "return {tonumber(n), redis.call('XRANGE', KEYS[2], '-', '+')}\n"

/* CONFIRM  KEYS: stream tries presence exp depth
 *          ARGV: upto id node prefix   -> messages removed */
#define WSP_LUA_CONFIRM WSP_LUA_COMMON \
    "local upto = tonumber(ARGV[1])\n" \
    "local n = redis.call('XTRIM', KEYS[1], 'MINID', (upto + 1) .. '-0')\n" \
    "if n > 0 then\n" \
    "  redis.call('DECRBY', KEYS[5], n)\n" \
    "  for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do\n" \
    "    if seqof(f) <= upto then redis.call('HDEL', KEYS[2], f) end\n" \
    "  end\n" \
    "  oldest(KEYS[1], KEYS[4], ARGV[2])\n" \
    "  tell(KEYS[3], ARGV[4], ARGV[3], 't ' .. ARGV[1] .. ' 0 0 ' .. #ARGV[2] .. ':' .. ARGV[2])\n" \
    "end\n" \
    "return n\n"

/* RETRY  KEYS: stream tries presence exp depth
 *        ARGV: from to retry_max id node prefix
 * -> {dropped eid, payload, ...} (messages out of tries) */
#define WSP_LUA_RETRY WSP_LUA_COMMON \
    "local dropped = {}\n" \
    "local max = tonumber(ARGV[3])\n" \
    "for _, e in ipairs(redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', ARGV[2] .. '-0')) do\n" \
    "  if redis.call('HINCRBY', KEYS[2], e[1], 1) >= max then\n" \
    "    redis.call('XDEL', KEYS[1], e[1]) redis.call('HDEL', KEYS[2], e[1])\n" \
    "    dropped[#dropped + 1] = e[1] dropped[#dropped + 1] = e[2][4]\n" \
    "    tell(KEYS[3], ARGV[6], ARGV[5], 'x ' .. seqof(e[1]) .. ' 0 0 ' .. #ARGV[4] .. ':' .. ARGV[4])\n" \
    "  end\n" \
    "end\n" \
    "if #dropped > 0 then\n" \
    "  redis.call('DECRBY', KEYS[5], #dropped / 2)\n" \
    "  oldest(KEYS[1], KEYS[4], ARGV[4])\n" \
    "end\n" \
    "return dropped\n"

/* EXPIRE  KEYS: exp depth   ARGV: ttl_ms prefix budget
 * -> {id, eid, payload, ...} (messages past ttl, deleted) */
#define WSP_LUA_EXPIRE WSP_LUA_COMMON \
    "local limit = nowms() - tonumber(ARGV[1])\n" \
    "local budget = tonumber(ARGV[3])\n" \
    "local out = {}\n" \
    "for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', limit, 'LIMIT', 0, 100)) do\n" \
    "  local stream = ARGV[2] .. 'o:' .. id\n" \
    "  local last = nil\n" \
    "  local n = 0\n" \
    "  for _, e in ipairs(redis.call('XRANGE', stream, '-', '+', 'COUNT', budget)) do\n" \
    "    if tonumber(e[2][2]) > limit then break end\n" \
    "    redis.call('XDEL', stream, e[1]) redis.call('HDEL', ARGV[2] .. 'r:' .. id, e[1])\n" \
    "    out[#out + 1] = id out[#out + 1] = e[1] out[#out + 1] = e[2][4]\n" \
    "    n = n + 1 last = seqof(e[1])\n" \
    "  end\n" \
    "  budget = budget - n\n" \
    "  if n > 0 then\n" \
    "    redis.call('DECRBY', KEYS[2], n)\n" \
    "    tell(ARGV[2] .. 'p:' .. id, ARGV[2], '', 't ' .. last .. ' 0 0 ' .. #id .. ':' .. id)\n" \
    "  end\n" \
    "  oldest(stream, KEYS[1], id)\n" \
    "  if budget <= 0 then break end\n" \
    "end\n" \
    "return out\n"

/* ONLINE  KEYS: presence (any entry: isOnline does not look at output caps)   ARGV: prefix   -> 1 when a live node holds the key */
#define WSP_LUA_ONLINE \
    "for _, node in ipairs(redis.call('HKEYS', KEYS[1])) do\n" \
    "  if redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 1 then\n" \
    "    local s = redis.call('PUBSUB', 'NUMSUB', ARGV[1] .. 'ch:' .. node)\n" \
    "    if tonumber(s[2]) > 0 then return 1 end\n" \
    "  end\n" \
    "end\n" \
    "return 0\n"

/* STATE  KEYS: nodes depth exp
 *        ARGV: prefix node conns bound beat(1|0) alive_ms
 * beat 1: refresh this node's liveness and publish its heartbeat first.
 * -> {live nodes, connections, bound, depth, oldest push ms (0 = none),
 *     keys with messages, now ms} */
#define WSP_LUA_STATE WSP_LUA_COMMON \
    "local p = ARGV[1]\n" \
    "if ARGV[5] == '1' then\n" \
    "  redis.call('HSET', p .. 'node:' .. ARGV[2], 'conns', ARGV[3], 'bound', ARGV[4])\n" \
    "  redis.call('PEXPIRE', p .. 'node:' .. ARGV[2], ARGV[6])\n" \
    "  redis.call('SADD', KEYS[1], ARGV[2])\n" \
    "  redis.call('PUBLISH', p .. 'ch:' .. ARGV[2], 'h')\n" \
    "end\n" \
    "local nn, conns, bound = 0, 0, 0\n" \
    "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n" \
    "  local v = redis.call('HMGET', p .. 'node:' .. n, 'conns', 'bound')\n" \
    "  if v[1] then nn = nn + 1 conns = conns + tonumber(v[1]) bound = bound + tonumber(v[2])\n" \
    "  else redis.call('SREM', KEYS[1], n) end\n" \
    "end\n" \
    "local o = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')\n" \
    "local old = 0\n" \
    "if #o > 0 then old = tonumber(o[2]) end\n" \
    "return {nn, conns, bound, tonumber(redis.call('GET', KEYS[2]) or 0), old,\n" \
    "        redis.call('ZCARD', KEYS[3]), nowms()}\n"

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched policy core: see pvsched_policy.h.  Pure code: no kernel calls,
 * no locks, no allocation; compiled into pvsched.ko and the unit tests.
 */
#include "pvsched_policy.h"

#define U64_MAX_ (~(u64)0)

static u64 add_sat(u64 a, u64 b)
{
	return a + b < a ? U64_MAX_ : a + b;
}

static u64 mul_sat(u64 a, u64 b)
{
	if (a && b > pvsched_div64(U64_MAX_, a))
		return U64_MAX_;
	return a * b;
}

/*
 * @v * @num / @den, saturating, with no 128-bit product: the whole
 * multiples of @den exactly, and the remainder's part with low bits of the
 * remainder and of @den dropped until its product fits (r < den, so den
 * stays nonzero while r does).
 */
static u64 scale(u64 v, u64 num, u64 den)
{
	u64 q, r;

	if (!den)
		return U64_MAX_;
	q = pvsched_div64(v, den);
	r = v - q * den;
	while (r && num > pvsched_div64(U64_MAX_, r)) {
		r >>= 1;
		den >>= 1;
	}
	return add_sat(mul_sat(q, num), r ? pvsched_div64(r * num, den) : 0);
}

static bool in_range(s64 v, s64 lo, s64 hi)
{
	return v >= lo && v <= hi;
}

/* @v brought within [@lo, @hi]; PVSCHED_XLATE_CLAMPED in *res if it moved. */
static s64 clamp_to(s64 v, s64 lo, s64 hi, u32 *res)
{
	if (in_range(v, lo, hi))
		return v;
	*res |= PVSCHED_XLATE_CLAMPED;
	return v < lo ? lo : hi;
}

static bool is_rt(u32 policy)
{
	return policy == PVSCHED_SCHED_FIFO || policy == PVSCHED_SCHED_RR;
}

/*
 * Ordering of attributes, strongest last: SCHED_IDLE < fair (lower nice is
 * stronger) < RT (higher rt_prio is stronger; FIFO beats RR at equal
 * rt_prio) < SCHED_DEADLINE (only ever a base; never boosted above).
 */
static int attr_class(u32 policy)
{
	switch (policy) {
	case PVSCHED_SCHED_IDLE:
		return 0;
	case PVSCHED_SCHED_FIFO:
	case PVSCHED_SCHED_RR:
		return 2;
	case PVSCHED_SCHED_DEADLINE:
		return 3;
	default: /* NORMAL, BATCH (and anything a base may hold) */
		return 1;
	}
}

int pvsched_attr_cmp(const struct pvsched_attr *a, const struct pvsched_attr *b)
{
	int ca = attr_class(a->policy), cb = attr_class(b->policy);

	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (ca == 2) {
		if (a->rt_prio != b->rt_prio)
			return a->rt_prio < b->rt_prio ? -1 : 1;
		if (a->policy != b->policy)
			return a->policy == PVSCHED_SCHED_FIFO ? 1 : -1;
		return 0;
	}
	if (ca == 1 && a->nice != b->nice)
		return a->nice > b->nice ? -1 : 1;
	return 0;
}

bool pvsched_attr_eq(const struct pvsched_attr *a, const struct pvsched_attr *b)
{
	return a->policy == b->policy && a->nice == b->nice &&
	       a->rt_prio == b->rt_prio;
}

void pvsched_attr_normalize(struct pvsched_attr *a)
{
	if (is_rt(a->policy))
		a->nice = 0;
	else
		a->rt_prio = 0;
}

int pvsched_policy_rank(u32 policy)
{
	switch (policy) {
	case PVSCHED_SCHED_NORMAL:
		return 0;
	case PVSCHED_SCHED_RR:
		return 1;
	case PVSCHED_SCHED_FIFO:
		return 2;
	}
	return -1;
}

bool pvsched_attr_valid(const struct pvsched_attr *a)
{
	int rank = pvsched_policy_rank(a->policy);

	if (rank < 0 || !in_range(a->nice, PVSCHED_NICE_MIN, PVSCHED_NICE_MAX))
		return false;
	if (is_rt(a->policy))
		return in_range(a->rt_prio, PVSCHED_RT_PRIO_MIN,
				PVSCHED_RT_PRIO_MAX);
	return !a->rt_prio;
}

/*
 * Cap a translated attribute (policy NORMAL, RR or FIFO) by the admin caps,
 * which are sanitised here too: max_rt_prio to [1, 98], min_nice to
 * [-20, 19].  An RT attribute above max_policy == SCHED_NORMAL becomes
 * SCHED_NORMAL at min_nice, the strongest fair value the admin allows.
 * Returns PVSCHED_XLATE_CLAMPED if anything changed.
 */
u32 pvsched_policy_cap(struct pvsched_attr *attr,
		       const struct pvsched_policy_limits *lim)
{
	u32 res = 0, sanitised = 0;
	u32 max_prio = clamp_to(lim->max_rt_prio, PVSCHED_RT_PRIO_MIN,
				PVSCHED_CAP_RT_PRIO_MAX, &sanitised);
	s32 min_nice = clamp_to(lim->min_nice, PVSCHED_NICE_MIN,
				PVSCHED_NICE_MAX, &sanitised);
	/* an unknown max_policy allows only fair */
	int max_rank = pvsched_policy_rank(lim->max_policy);

	if (is_rt(attr->policy)) {
		if (max_rank <= 0) {
			attr->policy = PVSCHED_SCHED_NORMAL;
			attr->rt_prio = 0;
			attr->nice = min_nice;
			return PVSCHED_XLATE_CLAMPED;
		}
		if (pvsched_policy_rank(attr->policy) > max_rank) {
			attr->policy = PVSCHED_SCHED_RR;
			res = PVSCHED_XLATE_CLAMPED;
		}
		if (attr->rt_prio > max_prio) {
			attr->rt_prio = max_prio;
			res = PVSCHED_XLATE_CLAMPED;
		}
		return res;
	}
	if (attr->nice < min_nice) {
		attr->nice = min_nice;
		res = PVSCHED_XLATE_CLAMPED;
	}
	return res;
}

/*
 * The 1:1 translation of a guest request (uapi header, "How the host
 * interprets the guest area"), capped.  Out: policy NORMAL, RR or FIFO.
 */
u32 pvsched_policy_translate(const struct pvsched_guest_snap *snap,
			     const struct pvsched_policy_limits *lim,
			     struct pvsched_attr *out)
{
	u32 res = 0;

	out->policy = PVSCHED_SCHED_NORMAL;
	out->nice = 0;
	out->rt_prio = 0;

	switch (snap->policy) {
	case PVSCHED_SCHED_NORMAL:
	case PVSCHED_SCHED_BATCH:
	case PVSCHED_SCHED_IDLE:
		out->nice = clamp_to(snap->nice, PVSCHED_NICE_MIN,
				     PVSCHED_NICE_MAX, &res);
		break;
	case PVSCHED_SCHED_FIFO:
	case PVSCHED_SCHED_RR:
		out->policy = snap->policy;
		out->rt_prio = clamp_to(snap->rt_prio, PVSCHED_RT_PRIO_MIN,
					PVSCHED_RT_PRIO_MAX, &res);
		break;
	case PVSCHED_SCHED_DEADLINE:
		return PVSCHED_XLATE_REFUSED;
	default:
		return PVSCHED_XLATE_INVALID;
	}
	return res | pvsched_policy_cap(out, lim);
}

/* A VM boost parameter, never trusted: translated and capped likewise. */
void pvsched_policy_boost_attr(const struct pvsched_attr *param,
			       const struct pvsched_policy_limits *lim,
			       struct pvsched_attr *out)
{
	struct pvsched_guest_snap s = {
		.policy = param->policy,
		.nice = param->nice,
		.rt_prio = param->rt_prio,
	};

	pvsched_policy_translate(&s, lim, out);
}

/* The VM's max_boost_ns: 0 means the default; at most the admin's cap. */
u64 pvsched_policy_max_boost_ns(const struct pvsched_policy_limits *lim)
{
	u64 v = lim->max_boost_ns ? lim->max_boost_ns :
				    PVSCHED_DEFAULT_MAX_BOOST_NS;

	if (lim->max_boost_cap_ns && v > lim->max_boost_cap_ns)
		v = lim->max_boost_cap_ns;
	return v;
}

u64 pvsched_duty_min_throttle_ns(u64 max_boost_ns, u32 max_duty_pct)
{
	u64 t;

	if (!max_duty_pct || max_duty_pct >= 100)
		return 0;
	/*
	 * boost / (boost + t) <= duty / 100  <=>  t >= boost (100 - duty) / duty,
	 * rounded up: t * duty / (100 - duty) >= boost for the integer boost.
	 */
	t = scale(max_boost_ns, 100 - max_duty_pct, max_duty_pct);
	if (t < U64_MAX_ && scale(t, max_duty_pct, 100 - max_duty_pct) < max_boost_ns)
		t++;
	return t;
}

/*
 * The VM's throttle_ns: 0 means the default; at least the admin's floor,
 * and long enough for the admin's max duty cycle with the max_boost in
 * force (a cap lowered after SET_PARAMS lengthens the window).
 */
u64 pvsched_policy_throttle_ns(const struct pvsched_policy_limits *lim)
{
	u64 v = lim->throttle_ns ? lim->throttle_ns :
				   PVSCHED_DEFAULT_THROTTLE_NS;
	u64 duty = pvsched_duty_min_throttle_ns(pvsched_policy_max_boost_ns(lim),
						lim->max_duty_pct);

	if (v < lim->min_throttle_ns)
		v = lim->min_throttle_ns;
	return v < duty ? duty : v;
}

/*
 * Windows follow each other; after a gap of more than one (nothing charged
 * meanwhile) a new one starts now.  What is charged at a roll counts in
 * the new window, whatever part of it ran in the old one: accounting is at
 * the engine's events, and this errs on the host's side.  What a window
 * ran over its share is charged to the window that follows (at most a
 * whole share: that window refuses every boost): the share is only seen
 * used up after the fact (the scheduler's run time moves at its ticks, a
 * demotion takes effect a moment after it is decided), so every window
 * overruns a little, and forgiven at each roll those overruns add up to
 * a bound a few percent above the share (55 % of a CPU for a 50 % share,
 * measured with six vCPUs in the lab).  Paid back, the boosted time of
 * any run of windows stays within their share plus one overrun.
 */
u64 pvsched_share_charge(struct pvsched_share *s, u64 window_ns, u64 share_ns,
			 u64 now, u64 ns, u64 *left)
{
	*left = 0;
	if (!share_ns || share_ns >= window_ns)
		return 0;
	/* a clock read a moment before another CPU's roll: that window */
	if (now >= s->window_start && now - s->window_start >= window_ns) {
		u64 over = s->used_ns > share_ns ? s->used_ns - share_ns : 0;

		if (now - s->window_start - window_ns < window_ns) {
			s->window_start += window_ns;
			s->used_ns = over < share_ns ? over : share_ns;
		} else {
			/* a window without a charge paid any overrun back */
			s->window_start = now;
			s->used_ns = 0;
		}
	}
	s->used_ns = add_sat(s->used_ns, ns);
	if (s->used_ns >= share_ns)
		return add_sat(s->window_start, window_ns);
	*left = share_ns - s->used_ns;
	return 0;
}

/*
 * Sequence-counter reader of the guest area (uapi header): at most
 * @retries attempts; false (and *out untouched) if none was consistent.
 * The flags word is part of the snapshot; it is read once per attempt.
 */
bool pvsched_guest_read(const struct pvsched_guest_area *ga,
			struct pvsched_guest_snap *out, unsigned int retries)
{
	struct pvsched_guest_snap s;
	unsigned int i;
	u32 s1, s2;

	for (i = 0; i < retries; i++) {
		s1 = PVSCHED_READ(ga->seq);
		if (s1 & 1)
			continue;
		pvsched_rmb();
		s.seq = s1;
		s.flags = PVSCHED_READ(ga->flags);
		s.policy = PVSCHED_READ(ga->sched_policy);
		s.nice = PVSCHED_READ(ga->sched_nice);
		s.rt_prio = PVSCHED_READ(ga->rt_prio);
		pvsched_rmb();
		s2 = PVSCHED_READ(ga->seq);
		if (s1 == s2) {
			*out = s;
			return true;
		}
	}
	return false;
}

/*
 * Sequence-counter writer of the host area, and of slot.host_boost inside
 * the same window; the caller serialises.  The guest may scribble on all
 * of it: only seq is read back, to stay ahead of it.
 */
static void host_write(struct pvsched_vcpu_slot *slot, u32 status,
		       const struct pvsched_attr *a, u32 throttled, u32 boost)
{
	struct pvsched_host_area *ha = &slot->host;
	u32 seq = PVSCHED_READ(ha->seq);

	/* Odd while writing, even if the old value was odd (scribbled). */
	seq = (seq + 1) | 1;
	PVSCHED_WRITE(ha->seq, seq);
	pvsched_wmb();
	PVSCHED_WRITE(ha->vcpu_status, status);
	PVSCHED_WRITE(ha->sched_policy, a->policy);
	PVSCHED_WRITE(ha->sched_nice, a->nice);
	PVSCHED_WRITE(ha->rt_prio, a->rt_prio);
	PVSCHED_WRITE(ha->throttled, throttled);
	PVSCHED_WRITE(slot->host_boost, boost);
	pvsched_wmb();
	PVSCHED_WRITE(ha->seq, seq + 1);
}

void pvsched_host_publish(struct pvsched_vcpu_slot *slot,
			  const struct pvsched_policy *p)
{
	u32 boost = 0;

	if (p->state == PVSCHED_STATE_BOOSTED)
		boost = PVSCHED_HOST_BOOSTED |
			(p->reason << PVSCHED_HOST_REASON_SHIFT &
			 PVSCHED_HOST_REASON_MASK);
	else if (p->state == PVSCHED_STATE_THROTTLED)
		boost = PVSCHED_HOST_THROTTLED;
	host_write(slot, p->status, &p->cur,
		   (u32)(p->state == PVSCHED_STATE_THROTTLED), boost);
}

/*
 * The vCPU leaves its session: the guest must not go on seeing a boost
 * (its driver exits to end one at every switch to a fair task while it
 * does), so the last word is "at base, not boosted, not throttled".
 */
void pvsched_host_publish_stopped(struct pvsched_vcpu_slot *slot,
				  const struct pvsched_policy *p)
{
	host_write(slot, 0, &p->base, 0, 0);
}

void pvsched_policy_init(struct pvsched_policy *p,
			 const struct pvsched_attr *base, u64 now)
{
	*p = (struct pvsched_policy){
		.base = *base,
		.cur = *base,
		.state = PVSCHED_STATE_IDLE,
		.status = PVSCHED_VCPU_STATUS_VMEXITED,
		.now_last = now,
		.acct_last = now,
		.unboost_at = now,
	};
}

/* Boosted and throttled time up to @now. */
static void account(struct pvsched_policy *p, u64 now)
{
	u64 delta = now - p->acct_last;

	if (p->state == PVSCHED_STATE_BOOSTED)
		p->cnt.boosted_ns = add_sat(p->cnt.boosted_ns, delta);
	else if (p->state == PVSCHED_STATE_THROTTLED)
		p->cnt.throttled_ns = add_sat(p->cnt.throttled_ns, delta);
	p->acct_last = now;
}

/* Boost budget used so far, counting only time boosted and not halted. */
static u64 boost_used(const struct pvsched_policy *p, u64 now)
{
	if (p->halted || p->state != PVSCHED_STATE_BOOSTED)
		return p->boost_run_ns;
	return add_sat(p->boost_run_ns, now - p->run_since);
}

static void pause_clock(struct pvsched_policy *p, u64 now)
{
	if (!p->halted) {
		p->boost_run_ns = boost_used(p, now);
		p->halted = true;
		p->halt_since = now;
	}
}

/*
 * The end of a halt.  Time halted pays the budget back one for one, like
 * time at base: a halted vCPU gives its CPU back, so a guest whose
 * latency work takes a third of the CPU and halts in between is never
 * throttled, while one that stays runnable and boosted still is.  Halted
 * means asleep (from BLOCK): KVM's halt polling before it runs the thread
 * on its CPU, boosted, and is paid for like any boosted time.
 */
static void resume_clock(struct pvsched_policy *p, u64 now)
{
	if (p->halted) {
		u64 idle = now - p->halt_since;

		p->halted = false;
		p->run_since = now;
		p->boost_run_ns = p->boost_run_ns > idle ?
					  p->boost_run_ns - idle : 0;
	}
}

/*
 * "Continuous" boost with a leaky budget: time spent at base since the
 * last unboost pays back the boost used before it, one ns for one ns.  A
 * guest that drops its request at every other exit to dodge the throttle
 * keeps its budget unless it spends at least as long at base as boosted,
 * so toggling buys no more than the throttle already allows.
 */
static void settle_idle(struct pvsched_policy *p, u64 now)
{
	u64 idle = now - p->unboost_at;

	p->boost_run_ns = p->boost_run_ns > idle ? p->boost_run_ns - idle : 0;
	p->unboost_at = now;
}

/* The interrupt hold is over, with what it knew of pending interrupts. */
static void irq_hold_end(struct pvsched_policy *p)
{
	p->irq_hold = false;
	p->irq_undelivered = false;
	p->irq_pending = 0;
}

/*
 * Back to base until @until, requests ignored meanwhile, keeping the
 * budget used: the throttle pays it back as it runs (throttle_end()).
 * d->reason: the boost cut off (or refused, the caller's).
 */
static void throttle_start(struct pvsched_policy *p, u64 now, u64 until,
			   struct pvsched_decision *d)
{
	if (p->state == PVSCHED_STATE_BOOSTED)
		p->boost_run_ns = boost_used(p, now);
	else
		settle_idle(p, now);
	p->state = PVSCHED_STATE_THROTTLED;
	irq_hold_end(p);
	/* a kick cannot boost a throttled vCPU, now or at the next exit */
	p->kick_pending = false;
	p->throttle_until = until;
	p->throttle_since = now;
	p->unboost_at = now;
	p->cur = p->base;
	d->publish = true;
}

/*
 * The end of a throttle: it pays the budget back at the VM's own rate,
 * max_boost per throttle window, so a whole window repays what it was for
 * (the duty cycle the VM chose, within the admin's max_duty_pct) and one
 * cut short or refused mid-way (the host share's, which lasts until its
 * CPU's window rolls) proportionally less: a 1 ms throttle no longer
 * repays a 1 s budget.  Time late past the window's end counts too, at
 * the same rate.
 */
static void throttle_end(struct pvsched_policy *p,
			 const struct pvsched_policy_limits *lim, u64 now)
{
	u64 back = scale(now - p->throttle_since,
			 pvsched_policy_max_boost_ns(lim),
			 pvsched_policy_throttle_ns(lim));

	p->boost_run_ns = p->boost_run_ns > back ? p->boost_run_ns - back : 0;
	p->unboost_at = now;
	p->state = PVSCHED_STATE_IDLE;
}

/*
 * The host-wide share of the vCPU's CPU is used up: refuse (or end) the
 * boost for @reason until the CPU's window rolls.
 */
static void share_throttle(struct pvsched_policy *p,
			   const struct pvsched_policy_limits *lim, u32 reason,
			   u64 now, struct pvsched_decision *d)
{
	throttle_start(p, now, lim->share_until, d);
	p->cnt.share_throttles++;
	d->trace |= PVSCHED_TR_SHARE;
	d->reason = reason;
}

static bool share_used_up(const struct pvsched_policy_limits *lim, u64 now)
{
	return lim->share_until > now;
}

/*
 * Move to @target (already capped) for @reason.  The vCPU never goes below
 * its base: a target at or under base means "at base" (an unboost if it
 * was boosted).  boosts[reason] counts boosts that start and boosts whose
 * reason changes.
 */
static void set_target(struct pvsched_policy *p,
		       const struct pvsched_policy_limits *lim,
		       const struct pvsched_attr *target, u32 reason, u64 now,
		       struct pvsched_decision *d)
{
	if (pvsched_attr_cmp(target, &p->base) <= 0) {
		if (p->state == PVSCHED_STATE_BOOSTED) {
			/*
			 * Keep what was used (see the boost start below), and
			 * charge this transition.
			 */
			p->boost_run_ns = add_sat(boost_used(p, now),
						  lim->transition_ns);
			p->unboost_at = now;
			p->state = PVSCHED_STATE_IDLE;
			p->cnt.unboosts++;
			d->trace |= PVSCHED_TR_UNBOOST;
			d->reason = p->reason;
		}
		p->cur = p->base;
		return;
	}
	if (p->state != PVSCHED_STATE_BOOSTED) {
		if (share_used_up(lim, now)) {
			share_throttle(p, lim, reason, now, d);
			return;
		}
		settle_idle(p, now);
		/*
		 * Each transition costs the host a sched_setattr() and often a
		 * preemption: charged to the budget, so flipping the request
		 * fast meets the throttle even with boosts of a few us.
		 */
		p->boost_run_ns = add_sat(p->boost_run_ns, lim->transition_ns);
		p->state = PVSCHED_STATE_BOOSTED;
		p->run_since = now;
		p->cnt.boosts[reason]++;
		d->trace |= PVSCHED_TR_BOOST;
	} else if (p->reason != reason || !pvsched_attr_eq(&p->cur, target)) {
		if (p->reason != reason)
			p->cnt.boosts[reason]++;
		d->trace |= PVSCHED_TR_BOOST;
	}
	p->reason = reason;
	d->reason = reason;
	p->cur = *target;
}

/*
 * Raise to at least @param's boost (HALT, INTR); never lowers.  At equal
 * strength the boost takes the newer reason (an interrupt injected into a
 * vCPU boosted for HALT is counted and traced as an INTR boost).  True if
 * it started a boost or made one stronger: what the kick and timer boosts
 * count, whatever else the same event did.
 */
static bool raise_to(struct pvsched_policy *p, const struct pvsched_attr *param,
		     const struct pvsched_policy_limits *lim, u32 reason,
		     u64 now, struct pvsched_decision *d)
{
	bool was_boosted = p->state == PVSCHED_STATE_BOOSTED;
	struct pvsched_attr a, old = p->cur;

	if (p->state == PVSCHED_STATE_THROTTLED)
		return false;
	pvsched_policy_boost_attr(param, lim, &a);
	if (pvsched_attr_cmp(&a, &p->cur) >= 0)
		set_target(p, lim, &a, reason, now, d);
	return p->state == PVSCHED_STATE_BOOSTED &&
	       (!was_boosted || pvsched_attr_cmp(&p->cur, &old) > 0);
}

/*
 * The last snapshot as the host may read it: the input of a feature the
 * VMM did not offer reads as "nothing asked" (no flag, SCHED_NORMAL nice
 * 0), whatever the guest wrote, since an offer is the VMM's policy and a
 * hostile guest writes what it likes.  Counted in guest_unoffered when
 * @count and something was hidden.
 */
static void offered_input(struct pvsched_policy *p,
			  const struct pvsched_policy_limits *lim, bool count,
			  struct pvsched_guest_snap *g)
{
	u32 mask = 0;
	bool hidden = false;

	*g = p->snap;
	if (lim->withheld & PVSCHED_F_CRIT_SECTION)
		mask |= PVSCHED_CS_ALL;
	if (lim->withheld & PVSCHED_F_IDLE_HINT)
		mask |= PVSCHED_GUEST_IDLE;
	if (lim->withheld & PVSCHED_F_EXIT_DEMOTE)
		mask |= PVSCHED_GUEST_EXIT_DEMOTE;
	if (g->flags & mask) {
		g->flags &= ~mask;
		hidden = true;
	}
	if ((lim->withheld & PVSCHED_F_TASK_PRIO) &&
	    (g->policy != PVSCHED_SCHED_NORMAL || g->nice || g->rt_prio)) {
		g->policy = PVSCHED_SCHED_NORMAL;
		g->nice = 0;
		g->rt_prio = 0;
		hidden = true;
	}
	if (hidden && count)
		p->cnt.guest_unoffered++;
}

/*
 * The guest's own request from @g (offered_input()): the translated task
 * priority, or the CS boost if a PVSCHED_CS_* flag is set and the boost is
 * stronger.  Counts clamped/refused/invalid requests when @count.
 */
static void guest_target(struct pvsched_policy *p,
			 const struct pvsched_policy_limits *lim,
			 const struct pvsched_guest_snap *g, bool count,
			 struct pvsched_attr *out, u32 *reason)
{
	struct pvsched_attr cs;
	u32 res;

	res = pvsched_policy_translate(g, lim, out);
	if (count) {
		if (res & PVSCHED_XLATE_CLAMPED)
			p->cnt.guest_clamped++;
		if (res & PVSCHED_XLATE_REFUSED)
			p->cnt.guest_refused++;
		if (res & PVSCHED_XLATE_INVALID)
			p->cnt.guest_invalid++;
	}
	/*
	 * A fair task at nice 0 or weaker is what an all-zero area says: no
	 * request (uapi header).  Mapped 1:1 it would lift a vCPU thread the
	 * admin put at SCHED_IDLE, SCHED_BATCH or a positive nice to an
	 * ordinary thread for as long as the guest runs anything at all.
	 */
	if (out->policy == PVSCHED_SCHED_NORMAL && out->nice >= 0)
		*out = p->base;
	*reason = PVSCHED_REASON_TASK_PRIO;
	/* PVSCHED_CS_SWITCH holds a boost (follow_guest()), asks for none */
	if (g->flags & PVSCHED_CS_ALL & ~PVSCHED_CS_SWITCH) {
		pvsched_policy_boost_attr(&lim->cs, lim, &cs);
		if (pvsched_attr_cmp(&cs, out) >= 0) {
			*out = cs;
			*reason = PVSCHED_REASON_CRIT_SECTION;
		}
	}
}

/*
 * An interrupt is pending or injected while boosted: hold the boost until
 * the guest has taken it (follow_guest()).  The reference seq is the
 * guest's current one, read here without the snapshot protocol: an odd or
 * moving value only ends the hold sooner.
 */
static void irq_hold_start(struct pvsched_policy *p,
			   const struct pvsched_guest_area *ga, u64 now)
{
	if (p->state != PVSCHED_STATE_BOOSTED || !ga || p->irq_hold)
		return;
	p->irq_hold = true;
	p->irq_hold_seq = PVSCHED_READ(ga->seq);
	p->irq_hold_until = add_sat(now, PVSCHED_IRQ_HOLD_MAX_NS);
}

/*
 * KVM injected an interrupt (INJECT): the guest can take it only from here
 * on, so what it published before (a seq moved in a switch made with
 * interrupts off while the interrupt waited) does not show it taken; the
 * hold's reference seq is the one now.  Its end stays where it began
 * (PVSCHED_IRQ_HOLD_MAX_NS after the kick or the first injection): moved
 * at every injection or kick, a guest that never publishes would hold its
 * interrupt boost for as long as its timer fires.
 */
static void irq_hold_injected(struct pvsched_policy *p,
			      const struct pvsched_guest_area *ga, u64 now)
{
	/* the highest pending vector goes first: one of those accepted */
	if (p->irq_pending)
		p->irq_pending--;
	else
		p->irq_undelivered = false;
	if (!p->irq_hold) {
		irq_hold_start(p, ga, now);
		return;
	}
	if (ga)
		p->irq_hold_seq = PVSCHED_READ(ga->seq);
}

/*
 * The kick boost, for a kick to a preempted vCPU (now) or to a running one
 * (at the exit that follows): the interrupt boost, held until the guest
 * takes the interrupt.  Counted when it starts or raises a boost.  A boost
 * already higher (the guest's RT task) is held the same way: the kick's
 * interrupt waits for an injection, and if the RT task ends first (its
 * switch away, with the guest's interrupts off, moves seq) the vCPU would
 * otherwise be demoted and preempted with it pending.  KVM's LAPIC timer
 * does not kick again while one is pending, so nothing would bring the
 * vCPU back before the host scheduler's turn (15 to 49 ms behind two CPU
 * hogs in the 6.1 contended benchmark, docs/benchmarks.md).  @kind: how
 * KVM delivers the interrupt: it injects it itself, once it has accepted
 * it into the IRR (KICK_UNACCEPTED: a hard IRQ's kick, its LAPIC timer's
 * above all) or already accepted (KICK_ACCEPTED: outside hard IRQ), or
 * posts it (KICK_POSTED, no INJECT may come).  Accepted ones are counted:
 * KVM injects the highest vector first, and the switch's self-IPI of an
 * ABI 1.3 guest (0xf6) goes ahead of a timer interrupt (0xec) accepted
 * before it; ending the mark at the first injection demoted the vCPU with
 * its timer pending (docs/benchmarks.md).
 */
enum kick_kind { KICK_POSTED, KICK_UNACCEPTED, KICK_ACCEPTED };

static void kick_boost(struct pvsched_policy *p,
		       const struct pvsched_policy_limits *lim,
		       const struct pvsched_guest_area *ga, u64 now,
		       enum kick_kind kind, struct pvsched_decision *d)
{
	if (lim->flags & PVSCHED_PARAMS_NO_KICK_BOOST)
		return;
	if (raise_to(p, &lim->intr, lim, PVSCHED_REASON_INTR, now, d))
		p->cnt.kick_boosts++;
	irq_hold_start(p, ga, now);
	if (!p->irq_hold || p->posted_delivery)
		return;
	if (kind == KICK_UNACCEPTED) {
		p->irq_undelivered = true;
	} else if (kind == KICK_ACCEPTED) {
		/* an unaccepted one (the timer's) is accepted now, likely */
		p->irq_undelivered = false;
		if (p->irq_pending < PVSCHED_IRQ_PENDING_MAX)
			p->irq_pending++;
	}
}

static void follow_guest(struct pvsched_policy *p,
			 const struct pvsched_policy_limits *lim, bool count,
			 u64 now, struct pvsched_decision *d)
{
	struct pvsched_guest_snap g;
	struct pvsched_attr t;
	u32 reason;

	offered_input(p, lim, count, &g);
	guest_target(p, lim, &g, count, &t, &reason);
	/*
	 * Interrupt hold: the first exit after an injection often comes before
	 * the guest has taken the interrupt (an interrupt window, a
	 * re-injection, a second interrupt pending behind the first), and
	 * demoting there puts the vCPU behind host tasks with its interrupt
	 * still unhandled.  The guest shows it took it: a CS flag (in the
	 * handler) or a new seq (it published a wake-up or a switch).  A
	 * guest without the driver (seq zero: Windows, an old kernel) shows
	 * nothing: its hold lasts until it halts (HALT ends it) or for
	 * PVSCHED_IRQ_HOLD_MAX_NS.  Ended at the first exit, it demoted the
	 * vCPU before the guest ran the task its interrupt woke, and such a
	 * guest did worse than without pvsched (docs/benchmarks.md); the
	 * budget and the host share bound it like any boost.
	 */
	if (p->irq_hold) {
		bool taken = !p->irq_undelivered && !p->irq_pending &&
			     ((g.flags & PVSCHED_CS_ALL) ||
			      p->snap.seq != p->irq_hold_seq);

		if (taken || now >= p->irq_hold_until ||
		    (lim->flags & PVSCHED_PARAMS_NO_IRQ_HOLD) ||
		    p->state != PVSCHED_STATE_BOOSTED) {
			irq_hold_end(p);
		} else if (pvsched_attr_cmp(&t, &p->cur) < 0) {
			p->cnt.irq_holds++;
			return;
		}
	}
	/*
	 * Idle hold: a guest CPU in its idle task is on its way to HLT, where
	 * it gives its CPU back by itself.  Demoting it there only queues it
	 * behind host tasks (a running task whose priority drops is preempted
	 * at once) and a pending interrupt then waits for the host's next
	 * turn; keeping the boost costs the host nothing, and the budget
	 * still runs, so a guest that spins in "idle" meets the throttle.
	 */
	if (p->state == PVSCHED_STATE_BOOSTED &&
	    (g.flags & PVSCHED_GUEST_IDLE) &&
	    !(lim->flags & PVSCHED_PARAMS_NO_IDLE_HOLD) &&
	    pvsched_attr_cmp(&t, &p->cur) < 0) {
		p->cnt.idle_holds++;
		return;
	}
	/*
	 * Switch hold: a guest CPU in its scheduler's switch holds its
	 * run-queue lock (PVSCHED_CS_SWITCH, ABI 1.3); its unboost exit comes
	 * once the lock is released.  Neither lowered (a demotion here would
	 * preempt the lock holder, and lowering an RT task's boost to the CS
	 * boost only to demote it microseconds later costs two applies) nor
	 * raised (the flag is no request).  The budget runs on.
	 */
	if (p->state == PVSCHED_STATE_BOOSTED &&
	    (g.flags & PVSCHED_CS_SWITCH) && pvsched_attr_cmp(&t, &p->cur) < 0)
		return;
	set_target(p, lim, &t, reason, now, d);
}

/* @now, or the latest time seen if it went backwards (counted). */
static u64 clock_now(struct pvsched_policy *p, u64 now)
{
	if (now < p->now_last) {
		p->cnt.clock_backwards++;
		now = p->now_last;
	}
	p->now_last = now;
	return now;
}

/*
 * The next time-driven transition: a throttle's end, a boost's budget
 * running out, or the CPU's share possibly used up (by this vCPU or any
 * other on the CPU: at the earliest after what is left of it).
 */
static u64 next_deadline(const struct pvsched_policy *p,
			 const struct pvsched_policy_limits *lim, u64 now)
{
	u64 max_boost = pvsched_policy_max_boost_ns(lim);
	u64 used, dl, left = lim->share_left_ns;

	if (p->state == PVSCHED_STATE_THROTTLED)
		return p->throttle_until;
	if (p->state != PVSCHED_STATE_BOOSTED || p->halted)
		return 0;
	/* used < max_boost here: the throttle check ran first. */
	used = boost_used(p, now);
	dl = used < max_boost ? add_sat(now, max_boost - used) : now;
	if (left) {
		if (left < PVSCHED_SHARE_RECHECK_MIN_NS)
			left = PVSCHED_SHARE_RECHECK_MIN_NS;
		if (add_sat(now, left) < dl)
			dl = add_sat(now, left);
	}
	return dl;
}

/* The common end of a decision in *d: what changed, and the next deadline. */
static void decided(struct pvsched_policy *p,
		    const struct pvsched_policy_limits *lim, u64 now,
		    struct pvsched_decision *d)
{
	d->new_attr = p->cur;
	d->apply = !pvsched_attr_eq(&d->old_attr, &p->cur);
	d->to_base = pvsched_attr_eq(&p->cur, &p->base);
	if (d->apply)
		d->publish = true;
	d->deadline = next_deadline(p, lim, now);
}

/*
 * One event at time @now (ns, monotonic; a value older than the last one
 * seen is taken as the last one and counted in clock_backwards).  @ga is
 * read at VMEXIT and when a throttle ends (TIMER, VMEXIT); NULL keeps the
 * previous snapshot.  *d says what to do.
 */
void pvsched_policy_event(struct pvsched_policy *p,
			  const struct pvsched_policy_limits *lim,
			  enum pvsched_policy_event ev,
			  const struct pvsched_guest_area *ga, u64 now,
			  struct pvsched_decision *d)
{
	bool fresh = false;
	u64 kick_boosts;

	*d = (struct pvsched_decision){ .old_attr = p->cur };
	now = clock_now(p, now);
	account(p, now);

	if (ga && (ev == PVSCHED_POL_VMEXIT || ev == PVSCHED_POL_TIMER ||
		   p->state == PVSCHED_STATE_THROTTLED)) {
		if (pvsched_guest_read(ga, &p->snap,
				       PVSCHED_GUEST_READ_RETRIES))
			fresh = true;
		else
			p->cnt.torn_reads++;
	}

	/* Time-driven transitions first, whatever the event. */
	if (p->state == PVSCHED_STATE_BOOSTED &&
	    boost_used(p, now) >= pvsched_policy_max_boost_ns(lim)) {
		d->reason = p->reason;
		throttle_start(p, now,
			       add_sat(now, pvsched_policy_throttle_ns(lim)), d);
		p->cnt.throttles++;
		d->trace |= PVSCHED_TR_THROTTLE;
	} else if (p->state == PVSCHED_STATE_BOOSTED &&
		   share_used_up(lim, now)) {
		share_throttle(p, lim, p->reason, now, d);
	} else if (p->state == PVSCHED_STATE_THROTTLED &&
		   now >= p->throttle_until) {
		throttle_end(p, lim, now);
		d->trace |= PVSCHED_TR_UNTHROTTLE;
		d->publish = true;
		/* The last request decides again (counted only if fresh). */
		follow_guest(p, lim, fresh && ev != PVSCHED_POL_VMEXIT, now,
			     d);
	}

	switch (ev) {
	case PVSCHED_POL_VMEXIT:
		p->cnt.exits++;
		resume_clock(p, now);
		p->status = PVSCHED_VCPU_STATUS_VMEXITED;
		/*
		 * An interrupt was made pending while the vCPU ran (often the
		 * very cause of this exit): boost it and hold the boost until
		 * the guest takes the interrupt.  Demoting it here would let a
		 * host task preempt it before it re-enters and injects.
		 */
		if (p->kick_pending) {
			p->kick_pending = false;
			kick_boost(p, lim, ga, now, KICK_UNACCEPTED, d);
		}
		/*
		 * The end of any HALT/INTR boost: from here on the guest's
		 * own request decides.  A guest asking for nothing is at base.
		 */
		if (p->state != PVSCHED_STATE_THROTTLED)
			follow_guest(p, lim, fresh, now, d);
		break;
	case PVSCHED_POL_VMENTER:
		p->cnt.entries++;
		/*
		 * A kick that came after the exit it was meant for (it saw the
		 * vCPU in guest mode just before it left) has had its request
		 * handled on the way back in: not for the next exit.
		 */
		p->kick_pending = false;
		resume_clock(p, now);
		p->status = PVSCHED_VCPU_STATUS_VMENTERED |
			    (p->status & PVSCHED_VCPU_STATUS_INTR_INJECTED);
		d->publish = true;
		break;
	case PVSCHED_POL_HALT:
		p->cnt.halts++;
		/*
		 * A guest without the driver has run what its interrupts woke
		 * by the time it halts: its interrupt hold ends (one with the
		 * driver shows it in its slot).
		 */
		if (!p->snap.seq)
			irq_hold_end(p);
		raise_to(p, &lim->intr, lim, PVSCHED_REASON_HALT, now, d);
		if (lim->block_at_halt)
			pause_clock(p, now);
		p->status = PVSCHED_VCPU_STATUS_HALTED;
		d->publish = true;
		break;
	case PVSCHED_POL_INJECT:
		p->cnt.injections++;
		/* the kick's interrupt (if any) is this one, held below */
		p->kick_pending = false;
		resume_clock(p, now);
		raise_to(p, &lim->intr, lim, PVSCHED_REASON_INTR, now, d);
		irq_hold_injected(p, ga, now);
		p->status |= PVSCHED_VCPU_STATUS_INTR_INJECTED;
		break;
	case PVSCHED_POL_BLOCK:
		/*
		 * The thread goes to sleep: halt polling (if any) is over, it
		 * gives its CPU back from here.
		 */
		p->cnt.blocks++;
		pause_clock(p, now);
		break;
	case PVSCHED_POL_WAKEUP:
		p->cnt.wakeups++;
		resume_clock(p, now);
		break;
	case PVSCHED_POL_POSTED:
		/*
		 * A KICK, for an interrupt KVM posted (APICv, AVIC) instead of
		 * kicking: kvm_vcpu_wake_up() on a runnable thread wakes
		 * nothing, so nothing else would bring the vCPU to a CPU.
		 */
		p->cnt.wakes++;
		p->posted_delivery = true;
		p->irq_undelivered = false;
		p->irq_pending = 0;
		fallthrough;
	case PVSCHED_POL_KICK:
	case PVSCHED_POL_KICK_ACCEPT:
		/*
		 * The vCPU thread is runnable but preempted (the caller checked
		 * KVM's vcpu->preempted), or on its CPU outside guest mode and
		 * the kick came in that thread (it may be preempted before it
		 * enters again), and an interrupt is now pending: left alone
		 * it waits for the host scheduler's next turn (a fair vCPU
		 * behind CPU hogs: a slice of each, milliseconds) before it
		 * can even inject.  A halted vCPU is not kicked here: its HALT
		 * boost already makes the wake-up run at once.
		 */
		p->cnt.kicks++;
		d->trace |= PVSCHED_TR_KICK;
		kick_boosts = p->cnt.kick_boosts;
		kick_boost(p, lim, ga, now,
			   ev == PVSCHED_POL_POSTED ? KICK_POSTED :
			   ev == PVSCHED_POL_KICK_ACCEPT ? KICK_ACCEPTED :
							  KICK_UNACCEPTED,
			   d);
		if (p->cnt.kick_boosts != kick_boosts)
			d->trace |= PVSCHED_TR_KICK_BOOST;
		break;
	case PVSCHED_POL_KICK_RUNNING:
		if (!(lim->flags & PVSCHED_PARAMS_NO_KICK_BOOST) &&
		    p->state != PVSCHED_STATE_THROTTLED)
			p->kick_pending = true;
		break;
	case PVSCHED_POL_DEADLINE:
		p->cnt.deadlines++;
		break;
	case PVSCHED_POL_TIMER_DUE:
		/*
		 * The guest's own timer is due and its thread is preempted;
		 * with the VMX preemption timer KVM arms nothing on the host
		 * for it (it only counts in guest mode), so this is the only
		 * host event that says so.  The interrupt boost, held like a
		 * kick's until the guest takes the interrupt.
		 */
		if (lim->flags & PVSCHED_PARAMS_NO_TIMER_BOOST)
			break;
		if (raise_to(p, &lim->intr, lim, PVSCHED_REASON_INTR, now, d))
			p->cnt.timer_boosts++;
		irq_hold_start(p, ga, now);
		break;
	default: /* TIMER, USERSPACE: the transitions above did the work */
		break;
	}
	decided(p, lim, now, d);
}

/*
 * A demotion decided at a VM exit: apply it there, or at the next VM entry
 * (the lazy demotion)?  At the exit when the session turned the lazy
 * demotion off, or when the guest says (PVSCHED_GUEST_EXIT_DEMOTE, offered)
 * that its unboost exits come only from where it holds no spinlock: the
 * lazy demotion exists for the 1.2 guest's unboost exit, made inside its
 * scheduler with the run-queue lock held, and costs the latency guest its
 * fair time in one long wait (PVSCHED_GUEST_EXIT_DEMOTE in the uapi header).
 */
bool pvsched_policy_demote_at_exit(const struct pvsched_policy *p,
				   const struct pvsched_policy_limits *lim)
{
	if (lim->flags & PVSCHED_PARAMS_NO_LAZY_DEMOTE)
		return true;
	/* as offered_input() reads it: not offered, not said */
	return !(lim->withheld & PVSCHED_F_EXIT_DEMOTE) &&
	       (p->snap.flags & PVSCHED_GUEST_EXIT_DEMOTE);
}

bool pvsched_policy_seen(const struct pvsched_policy *p,
			 const struct pvsched_attr *applied, s32 aside_nice,
			 const struct pvsched_attr *seen,
			 struct pvsched_attr *base)
{
	struct pvsched_attr want = *applied;

	if (is_rt(want.policy))
		want.nice = aside_nice;
	if (pvsched_attr_eq(&want, seen))
		return false;
	if (is_rt(applied->policy) && seen->policy == applied->policy &&
	    seen->rt_prio == applied->rt_prio) {
		/*
		 * Still at pvsched's RT attribute, with another nice set
		 * aside: a renice while boosted, meant for the thread's own
		 * (fair) policy.  An RT base has no use for it.
		 */
		*base = p->base;
		if (!is_rt(base->policy))
			base->nice = seen->nice;
		return true;
	}
	*base = *seen;
	pvsched_attr_normalize(base);
	return true;
}

/*
 * The admin's or the VMM's word about the thread's own attributes wins over
 * the one pvsched saved: returning to the old base at every unboost would
 * undo it many times a second.  A boost still above the new base goes on
 * (the guest still asks for it); one that no longer lifts the thread ends
 * here, with its budget kept as at an unboost.
 */
void pvsched_policy_rebase(struct pvsched_policy *p,
			   const struct pvsched_policy_limits *lim,
			   const struct pvsched_attr *base, u64 now,
			   struct pvsched_decision *d)
{
	*d = (struct pvsched_decision){ .old_attr = p->cur };
	now = clock_now(p, now);
	account(p, now);
	p->base = *base;
	p->cnt.base_changes++;
	if (p->state == PVSCHED_STATE_BOOSTED &&
	    pvsched_attr_cmp(&p->cur, base) <= 0) {
		p->boost_run_ns = boost_used(p, now);
		p->unboost_at = now;
		p->state = PVSCHED_STATE_IDLE;
		irq_hold_end(p);
	}
	if (p->state != PVSCHED_STATE_BOOSTED)
		p->cur = *base;
	d->publish = true;
	decided(p, lim, now, d);
}

bool pvsched_policy_stop(struct pvsched_policy *p, u64 now)
{
	if (now < p->now_last)
		now = p->now_last;
	account(p, now);
	return !pvsched_attr_eq(&p->cur, &p->base);
}

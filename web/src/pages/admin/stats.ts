// The community health dashboard's charts: which series each one draws, how its figures read,
// and the ranges the picker offers. Dates are UTC days, as the API counts them.

export type Kind = 'count' | 'share' | 'minutes' | 'hours';
export type Interval = 'day' | 'week' | 'month';

export interface ChartSpec {
  id: string;
  title: string;
  /** What the figure means, in a sentence (shown under the title). */
  about: string;
  kind: Kind;
  bars: boolean;
  series: { name: string; label: string }[];
}

export interface Group {
  title: string;
  charts: ChartSpec[];
}

const one = (name: string, label: string) => [{ name, label }];

export const GROUPS: Group[] = [
  {
    title: 'Activity',
    charts: [
      { id: 'signups', title: 'Signups', about: 'New accounts.', kind: 'count', bars: false, series: one('signups', 'Signups') },
      { id: 'active', title: 'Active members', about: 'Members seen (signed in and using the forum).', kind: 'count', bars: false, series: one('active_members', 'Active members') },
      { id: 'threads', title: 'New threads', about: 'Threads started (not hidden or deleted).', kind: 'count', bars: false, series: one('threads', 'Threads') },
      { id: 'replies', title: 'Replies', about: 'Replies posted (not hidden or deleted).', kind: 'count', bars: false, series: one('replies', 'Replies') },
    ],
  },
  {
    title: 'Answers',
    charts: [
      { id: 'answered', title: 'Answered within 7 days', about: 'Share of new threads with a reply from someone other than the author within 7 days.', kind: 'share', bars: false, series: one('answered_share', 'Answered') },
      { id: 'solved', title: 'Solved within 7 days', about: 'Share of new threads with a solution marked within 7 days.', kind: 'share', bars: false, series: one('solved_share', 'Solved') },
      {
        id: 'first-reply',
        title: 'Time to first reply',
        about: 'Minutes from a thread to its first reply by someone else, over threads that got one: median and 90th percentile.',
        kind: 'minutes',
        bars: false,
        series: [
          { name: 'first_reply_minutes_p50', label: 'Median' },
          { name: 'first_reply_minutes_p90', label: '90th percentile' },
        ],
      },
    ],
  },
  {
    title: 'Mentorship',
    charts: [
      { id: 'requests', title: 'Mentorship requests', about: 'Requests sent to mentors.', kind: 'count', bars: true, series: one('mentorship_requests', 'Requests') },
      { id: 'accepted', title: 'Requests accepted', about: 'Of the requests whose wait ended (accepted, declined or expired), the share accepted.', kind: 'share', bars: true, series: one('mentorship_accepted_share', 'Accepted') },
      { id: 'response', title: 'Time to a mentor’s answer', about: 'Median hours from a request to its acceptance or decline.', kind: 'hours', bars: true, series: one('mentorship_response_hours_p50', 'Median') },
    ],
  },
  {
    title: 'Meetups',
    charts: [
      { id: 'rsvps', title: 'RSVPs', about: 'RSVPs made to meetups.', kind: 'count', bars: true, series: one('meetup_rsvps', 'RSVPs') },
      { id: 'fill', title: 'Seats filled', about: 'Going over capacity, at meetups with a capacity held in the period.', kind: 'share', bars: true, series: one('meetup_fill_share', 'Filled') },
    ],
  },
  {
    title: 'Moderation',
    charts: [
      { id: 'reports', title: 'Reports', about: 'Reports made by members.', kind: 'count', bars: true, series: one('reports', 'Reports') },
      { id: 'resolution', title: 'Time to handle a report', about: 'Median hours from a report to its resolution or dismissal.', kind: 'hours', bars: false, series: one('report_resolution_hours_p50', 'Median') },
      { id: 'overturned', title: 'Appeals overturned', about: 'Of the appeals decided, the share that undid the action.', kind: 'share', bars: true, series: one('appeals_overturned_share', 'Overturned') },
    ],
  },
];

const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** A figure as people read it; an em dash when there was nothing to measure. */
export function figure(value: number | null | undefined, kind: Kind): string {
  if (value === null || value === undefined) return '—';
  switch (kind) {
    case 'count':
      return counts.format(value);
    case 'share':
      return percent.format(value);
    case 'minutes':
      return value >= 120 ? `${decimal.format(value / 60)} h` : `${decimal.format(value)} min`;
    case 'hours':
      return value >= 48 ? `${decimal.format(value / 24)} d` : `${decimal.format(value)} h`;
  }
}

/** A short axis label. */
export function tick(value: number, kind: Kind): string {
  switch (kind) {
    case 'share':
      return `${Math.round(value * 100)}%`;
    case 'count':
      return counts.format(value);
    default:
      return decimal.format(value);
  }
}

/** The steps a count axis may take: whole numbers only (no "1, 1, 2" from halves). */
export const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6];

/** `2026-03-02` as the point it names: a day, a week from that Monday, or a month. */
export function pointLabel(t: string, interval: Interval): string {
  const date = new Date(`${t}T00:00:00Z`);
  if (interval === 'month') {
    return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date);
  }
  const text = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(date);
  return interval === 'week' ? `Week of ${text}` : text;
}

/** The seconds since the epoch of a UTC day (the charts' x values). */
export function epoch(t: string): number {
  return Date.parse(`${t}T00:00:00Z`) / 1000;
}

export interface Preset {
  id: string;
  label: string;
  days: number;
  interval: Interval;
}

export const PRESETS: Preset[] = [
  { id: '7d', label: 'Last 7 days', days: 7, interval: 'day' },
  { id: '30d', label: 'Last 30 days', days: 30, interval: 'day' },
  { id: '90d', label: 'Last 90 days', days: 90, interval: 'week' },
  { id: '12m', label: 'Last 12 months', days: 365, interval: 'month' },
];

/** Today as a UTC day (`YYYY-MM-DD`), and `days` before it. */
export function utcDay(offsetDays = 0, now = new Date()): string {
  const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - offsetDays * 86_400_000);
  return date.toISOString().slice(0, 10);
}

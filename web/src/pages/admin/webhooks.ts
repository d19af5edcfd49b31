// What the webhook pages say about events and formats.
import type { Schemas } from '../../lib/api/client.svelte';

export const EVENTS: Schemas['EventType'][] = [
  'thread.created',
  'reply.created',
  'thread.solved',
  'mentorship.requested',
  'mentorship.accepted',
  'meetup.created',
  'meetup.cancelled',
  'report.created',
  'moderation.action',
];

/** Events only a staff channel may be sent. */
export const STAFF_EVENTS: string[] = ['report.created', 'moderation.action'];

export const FORMATS: { value: Schemas['Format']; label: string }[] = [
  { value: 'standard', label: 'Standard Webhooks (JSON)' },
  { value: 'discord', label: 'Discord' },
  { value: 'slack', label: 'Slack' },
];

const LABELS: Record<string, string> = {
  'thread.created': 'New threads',
  'reply.created': 'New replies',
  'thread.solved': 'Solved threads',
  'mentorship.requested': 'Mentorship requests',
  'mentorship.accepted': 'Mentorships accepted',
  'meetup.created': 'New meetups',
  'meetup.cancelled': 'Cancelled meetups',
  'report.created': 'Reports (staff)',
  'moderation.action': 'Moderation actions (staff)',
  ping: 'Test ping',
};

export function eventLabel(event: string): string {
  return LABELS[event] ?? event;
}

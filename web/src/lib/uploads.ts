// Uploading a file: multipart over XMLHttpRequest, because fetch cannot report an upload's
// progress. The bearer token goes along as for every API call; a 401 refreshes the session
// once and sends again, as `withSession` does for the typed client.
import { bearer, refresh, type Schemas } from './api/client.svelte';

export type Upload = Schemas['UploadView'];
export type Purpose = 'post' | 'avatar';
export type UploadOutcome = { data: Upload; problem: null } | { data: null; problem: { detail: string; code: string } };

function send(file: File, purpose: Purpose, onProgress: (fraction: number) => void) {
  return new Promise<{ status: number; body: Record<string, unknown> | null }>((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/uploads');
    for (const [name, value] of Object.entries(bearer())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => resolve({ status: 0, body: null });
    const form = new FormData();
    form.append('purpose', purpose);
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

export async function uploadFile(
  file: File,
  purpose: Purpose,
  onProgress: (fraction: number) => void = () => {},
): Promise<UploadOutcome> {
  let answer = await send(file, purpose, onProgress);
  if (answer.status === 401 && (await refresh().catch(() => false))) {
    answer = await send(file, purpose, onProgress);
  }
  if (answer.status === 201 && answer.body) return { data: answer.body as Upload, problem: null };
  const detail =
    typeof answer.body?.detail === 'string'
      ? answer.body.detail
      : 'The upload did not reach the forum; check your connection and try again.';
  const code = typeof answer.body?.code === 'string' ? answer.body.code : '';
  return { data: null, problem: { detail, code } };
}

/** Widths above this are shown through their large thumbnail, linked to the original. */
const LARGE_WIDTH = 1200;

/** The Markdown that shows an upload: an image (big ones as their large copy, linking to the
 * original), or a link to download a file. */
export function markdownFor(upload: Upload, fileName: string): string {
  const label = fileName.replace(/[[\]\\]/g, '').trim();
  if (upload.content_type.startsWith('image/')) {
    const alt = label.replace(/\.[a-z0-9]+$/i, '') || 'image';
    if (upload.thumbnails && (upload.width ?? 0) > LARGE_WIDTH) {
      return `[![${alt}](${upload.thumbnails.large})](${upload.url})`;
    }
    return `![${alt}](${upload.url})`;
  }
  return `[${label || 'attachment'}](${upload.url})`;
}

// Downloads through the token: the content and archive endpoints need the Authorization header,
// which a plain link cannot send, so the bytes are fetched and handed to the browser as a file.
import type { ServerClient } from '../api/client';
import { downloadName, fetchDownload } from '../api/files';

interface SaveFilePicker {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<{ createWritable(): Promise<WritableStream<Uint8Array>> }>;
}

/**
 * Saves a file, or a folder as `.tar.gz`. Where the browser can write a chosen file as it arrives
 * (Chromium's save picker), a folder's archive streams to disk without being held in memory;
 * elsewhere the answer is collected into a Blob first.
 */
export async function downloadEntry(client: ServerClient, root: string, path: string, folder: boolean): Promise<void> {
  const name = downloadName(root, path, folder);
  const picker = (globalThis as unknown as SaveFilePicker).showSaveFilePicker;
  if (folder && picker) {
    let handle;
    try {
      handle = await picker({ suggestedName: name });
    } catch {
      return; // the user closed the picker
    }
    const response = await fetchDownload(client, root, path, folder);
    if (response.body) {
      await response.body.pipeTo(await handle.createWritable());
      return;
    }
  }
  const response = await fetchDownload(client, root, path, folder);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

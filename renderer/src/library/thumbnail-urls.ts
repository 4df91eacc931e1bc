/**
 * Object URLs of case thumbnails for the list. Only the rows near the viewport ask for one, and
 * the least recently used URLs are revoked so scrolling through 10,000 cases does not pin
 * 10,000 blobs in memory.
 */

/** Where thumbnails come from (the storage repository). */
export interface ThumbnailSource {
  getThumbnail(caseId: string): Promise<Blob | undefined>;
}

/** An LRU cache of thumbnail object URLs. */
export class ThumbnailUrls {
  private urls = new Map<string, string | null>();
  private pending = new Map<string, Promise<string | null>>();

  constructor(
    private readonly source: ThumbnailSource,
    private readonly capacity = 300,
    private readonly createUrl: (blob: Blob) => string = (blob) => URL.createObjectURL(blob),
    private readonly revokeUrl: (url: string) => void = (url) => URL.revokeObjectURL(url),
  ) {}

  /** The cached URL (null = the case has no thumbnail), or undefined when not loaded yet. */
  peek(caseId: string): string | null | undefined {
    const url = this.urls.get(caseId);
    if (url !== undefined) {
      // Re-insert: Map keeps insertion order, so the first key is the least recently used.
      this.urls.delete(caseId);
      this.urls.set(caseId, url);
    }
    return url;
  }

  /** The URL of a case's thumbnail, loading it when needed. */
  get(caseId: string): Promise<string | null> {
    const known = this.peek(caseId);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.pending.get(caseId);
    if (!pending) {
      pending = this.source.getThumbnail(caseId).then(
        (blob) => {
          this.pending.delete(caseId);
          const url = blob ? this.createUrl(blob) : null;
          this.urls.set(caseId, url);
          this.evict();
          return url;
        },
        () => {
          this.pending.delete(caseId);
          return null;
        },
      );
      this.pending.set(caseId, pending);
    }
    return pending;
  }

  /** Drop one case's URL (its thumbnail changed or the case was deleted). */
  forget(caseId: string): void {
    const url = this.urls.get(caseId);
    if (url) this.revokeUrl(url);
    this.urls.delete(caseId);
  }

  /** Revoke every URL. */
  clear(): void {
    for (const url of this.urls.values()) if (url) this.revokeUrl(url);
    this.urls.clear();
  }

  private evict(): void {
    while (this.urls.size > this.capacity) {
      const [oldest, url] = this.urls.entries().next().value as [string, string | null];
      if (url) this.revokeUrl(url);
      this.urls.delete(oldest);
    }
  }
}

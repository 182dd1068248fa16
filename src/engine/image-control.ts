import type { Readable } from "node:stream";
import type { ImageDetails } from "./types.js";

/** Credentials for one registry call; never stored or logged. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  identityToken?: string;
  /** Empty: the registry named in the image reference. */
  serverAddress?: string;
}

/** One step of a pull or push as the engine reports it. */
export interface ImageProgressEvent {
  /** Layer (or tag) the step is about; empty for the whole image. */
  layerId: string;
  status: string;
  /** 0 when the step has no byte count. */
  currentBytes: number;
  /** 0 when unknown. */
  totalBytes: number;
}

export interface TransferOptions {
  credentials?: RegistryCredentials;
  /** Called for every progress message, in order, before the call resolves. */
  onProgress?: (event: ImageProgressEvent) => void;
  signal?: AbortSignal;
}

export interface PullResult {
  /** The reference pulled, tag made explicit. */
  image: string;
  imageId: string;
  /** Manifest digest; empty only if the engine reported none. */
  digest: string;
}

export interface PushResult {
  image: string;
  digest: string;
  manifestSizeBytes: number;
}

export interface ImageQuery {
  all: boolean;
  /** Each `key` or `key=value`. */
  labels?: string[];
  /** The engine's `reference` filter, e.g. `repo/*:1`. */
  reference?: string;
  danglingOnly?: boolean;
}

export interface ImageSummary extends ImageDetails {
  parentId: string;
  labels: Record<string, string>;
}

export interface ImageConfig {
  os: string;
  architecture: string;
  author: string;
  comment: string;
  entrypoint: string[];
  command: string[];
  env: string[];
  workingDir: string;
  user: string;
  exposedPorts: string[];
  layers: string[];
}

export interface ImageInspection extends ImageSummary {
  config: ImageConfig;
}

export interface ImageRemoval {
  untagged: string[];
  deleted: string[];
}

/**
 * Images on the engine, and moving them to and from registries. Errors are DockhandError with
 * the engine's kind: NotFound for a missing image.
 */
export interface ImageControl {
  /** What the scaler needs to know of an image. NotFound when the engine does not have it. */
  inspect(ref: string, signal?: AbortSignal): Promise<ImageDetails>;
  /** The image with its configuration. NotFound when the engine does not have it. */
  describe(ref: string, signal?: AbortSignal): Promise<ImageInspection>;
  list(query: ImageQuery, signal?: AbortSignal): Promise<ImageSummary[]>;
  /**
   * Removes a tag, or the image with its last tag. Conflict while a container (in any state)
   * uses an image the call would remove, whatever `force` says.
   */
  remove(ref: string, options: { force: boolean; noPrune: boolean }, signal?: AbortSignal): Promise<ImageRemoval>;
  /** `target` is `repository:tag`. NotFound when `source` is missing. */
  tag(source: string, target: string, signal?: AbortSignal): Promise<void>;
  /**
   * Pulls `repo[:tag][@digest]` (no tag: `latest`) and resolves when the image is on the
   * engine. NotFound for an unknown repository or tag, PermissionDenied when the registry
   * refuses, Unavailable when it cannot be reached. No default deadline: it follows a stream.
   */
  pull(ref: string, options?: TransferOptions): Promise<PullResult>;
  /** Pushes `repository:tag`; NotFound when it is not on the engine. No default deadline. */
  push(ref: string, options?: TransferOptions): Promise<PushResult>;
  /**
   * Loads an uncompressed `docker save` archive and returns the loaded references (tags, or
   * ids for untagged images). An archive the engine cannot read is InvalidArgument; an error
   * the archive stream itself raises is rethrown as is. No default deadline.
   */
  load(archive: Readable, signal?: AbortSignal): Promise<string[]>;
}

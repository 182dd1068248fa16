import { Code, ConnectError } from "@connectrpc/connect";
import { useState } from "preact/hooks";
import { CopyFormat } from "../gen/dockhand/v1/agent_interactive_pb.js";
import { agent } from "./api.js";
import { describe, report } from "./errors.js";

const copyOut = "/dockhand.v1.ContainerAgent/CopyFromContainerUnary";
const copyIn = "/dockhand.v1.ContainerAgent/CopyToContainer";

/** Hands `bytes` to the browser as a download named `name`. */
function save(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Download a file from a container (a directory comes as a tar archive) and upload one into it,
 * through the unary copy calls (up to the server's largest message, 4 MiB by default; `dockhand
 * cp` streams bigger ones).
 */
export function FileTransfer({ id, label }: { id: string; label: string }) {
  const [from, setFrom] = useState("");
  const [into, setInto] = useState("/tmp");
  const [file, setFile] = useState<File | undefined>(undefined);
  const [said, setSaid] = useState("");

  const download = async (e: Event) => {
    e.preventDefault();
    setSaid("");
    try {
      let answer;
      try {
        answer = await agent.copyFromContainerUnary({ id, path: from, format: CopyFormat.FILE });
      } catch (err) {
        // Not a regular file (a directory): the tar archive of it instead.
        if (ConnectError.from(err).code !== Code.FailedPrecondition) throw err;
        answer = await agent.copyFromContainerUnary({ id, path: from, format: CopyFormat.TAR });
        save(answer.content, `${answer.stat?.name ?? "download"}.tar`);
        return setSaid(`downloaded ${answer.stat?.name}.tar (${answer.content.length} bytes)`);
      }
      save(answer.content, answer.stat?.name ?? "download");
      setSaid(`downloaded ${answer.stat?.name} (${answer.content.length} bytes)`);
    } catch (err) {
      report(err, copyOut);
      const { code, message } = describe(err);
      setSaid(`${code}: ${message}`);
    }
  };

  const upload = async (e: Event) => {
    e.preventDefault();
    if (!file) return setSaid("choose a file to upload");
    setSaid("");
    const path = `${into.replace(/\/+$/, "")}/${file.name}`;
    try {
      const content = new Uint8Array(await file.arrayBuffer());
      const answer = await agent.copyToContainer({ id, path, content: { case: "file", value: content } });
      setSaid(`uploaded ${path} (${answer.sizeBytes} bytes)`);
    } catch (err) {
      report(err, copyIn);
      const { code, message } = describe(err);
      setSaid(`${code}: ${message}`);
    }
  };

  return (
    <div class="file-transfer" aria-label={`Files of ${label}`} role="group">
      <form onSubmit={(e) => void download(e)}>
        <label for="download-path">Download from</label>
        <input
          id="download-path"
          value={from}
          placeholder="/etc/hostname"
          onInput={(e) => setFrom(e.currentTarget.value)}
        />
        <button type="submit" disabled={from === ""}>
          Download
        </button>
      </form>
      <form onSubmit={(e) => void upload(e)}>
        <label for="upload-file">File to upload</label>
        <input id="upload-file" type="file" onChange={(e) => setFile(e.currentTarget.files?.[0])} />
        <label for="upload-into">into</label>
        <input id="upload-into" value={into} onInput={(e) => setInto(e.currentTarget.value)} />
        <button type="submit">Upload</button>
      </form>
      <p role="status" data-transfer-outcome>
        {said}
      </p>
    </div>
  );
}

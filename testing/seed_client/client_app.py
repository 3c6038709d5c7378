# The QSTCS v3 report's soldier app (seed 000, listing 5.5 "client_app.py"),
# kept as the report prints it so the test proves that the seeds' own client
# still chats through a KMS and a relay started with --open. Added below the
# listing: the __main__ block that the report leaves out (argv: my name, peer
# name, KMS URL, relay URL).
import asyncio, json, os, requests, websockets
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

class QuantumSecureClient:
    def __init__(self, my_name, peer_name, kms_url, ws_url):
        self.my_name, self.peer_name = my_name, peer_name
        self.kms_url, self.ws_url = kms_url, ws_url
        self.aes_key = None

    def get_quantum_key(self):
        data = requests.post(f"{self.kms_url}/get_session_key",
                             json={"client_id": self.my_name, "peer_id": self.peer_name}).json()
        self.aes_key = bytes.fromhex(data['aes_key'])
        self.session_id = data['session_id']
        print(f"[+] Key received. QBER:{data['qber']:.1%} | {data['link_status']}")

    def encrypt_message(self, plaintext):
        """AES-256-GCM: confidentiality + authentication in one step."""
        aesgcm = AESGCM(self.aes_key)
        nonce = os.urandom(12) # unique per message
        ct_tag = aesgcm.encrypt(nonce, plaintext.encode(), None)
        return {"from": self.my_name, "to": self.peer_name,
                "ciphertext": ct_tag[:-16].hex(), "nonce": nonce.hex(),
                "tag": ct_tag[-16:].hex(), "session_id": self.session_id}

    def decrypt_message(self, msg):
        """Raises InvalidTag if message tampered -- rejected automatically."""
        aesgcm = AESGCM(self.aes_key)
        nonce = bytes.fromhex(msg['nonce'])
        ct_tag = bytes.fromhex(msg['ciphertext']) + bytes.fromhex(msg['tag'])
        return aesgcm.decrypt(nonce, ct_tag, None).decode()

    async def chat_session(self):
        self.get_quantum_key()
        async with websockets.connect(self.ws_url) as ws:
            await ws.send(json.dumps({"from": self.my_name}))
            await asyncio.gather(self._sender(ws), self._receiver(ws))

    async def _sender(self, ws):
        loop = asyncio.get_event_loop()
        while True:
            text = await loop.run_in_executor(None, input, f"{self.my_name}> ")
            if text.lower() == '/quit': break
            await ws.send(json.dumps(self.encrypt_message(text)))

    async def _receiver(self, ws):
        async for raw in ws:
            data = json.loads(raw)
            if data.get('from') == self.peer_name:
                try: print(f"\n{self.peer_name}> {self.decrypt_message(data)}")
                except: print("[!] Verification failed -- possible tampering!")

if __name__ == "__main__":
    import sys
    asyncio.run(QuantumSecureClient(*sys.argv[1:5]).chat_session())
